"""The ``costmodel`` command: parse options, call the library, print.

Every command that a user can give bad input exits with status 2 and one line
on standard error naming what is wrong (file, layer, field); see
``costmodel.errors``.
"""

from __future__ import annotations

import sys

import click

from costmodel.errors import CostmodelError

from costmodel.conventions import CONVENTIONS as _CONVENTIONS

FORMATS = ("text", "csv", "markdown", "json", "latex")
CONVENTIONS = tuple(_CONVENTIONS)
MODEL_HELP = ("MODEL is a built-in architecture (see `costmodel list`), a .toml/.json spec file, "
              "torchvision:NAME (built with weights=None) or path/to/file.py:callable (a class or "
              "factory returning an nn.Module); the last two need the 'torch' extra.")


class Main(click.Group):
    """A click group whose errors are one line and exit status 2 (no traceback)."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            rv = super().main(args=args, prog_name=prog_name or "costmodel",
                              standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as e:
            click.echo(e.ctx.get_help())
            sys.exit(2)
        except click.ClickException as e:
            click.echo(f"costmodel: error: {e.format_message()}", err=True)
            sys.exit(2)
        except CostmodelError as e:
            click.echo(f"costmodel: error: {e}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("costmodel: aborted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


def emit(text: str, out: str | None):
    """Print, or write atomically to ``out`` (never a half-written file)."""
    if out:
        from costmodel.report.io import write_atomic
        write_atomic(out, text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


def model_options(f):
    """--alpha, --resolution/--rho, --classes, --rounding, --convention, --unit."""
    f = click.option("--unit", type=click.Choice(["macs", "flops"]), default=None,
                     help="Show MAdds in MACs (one multiply-accumulate = 1) or FLOPs (= 2). "
                          "Default: the convention's own unit.")(f)
    f = click.option("--kwargs", "kwargs", default=None,
                     help="Keyword arguments for a torchvision:NAME or file.py:callable MODEL, "
                          "as key=value,... (e.g. width_mult=0.75).")(f)
    f = click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
                     help="What the numbers count: paper = conv + FC MACs and weights only; "
                          "pytorch = params as sum(p.numel()) of the model built from the spec; "
                          "slim-v1 / keras = params with TF-slim's / Keras's batch-norm variables; "
                          "fvcore, ptflops-pytorch, ptflops-aten, thop, torchinfo, torchprofile, "
                          "flopcountermode, deepspeed = that tool's rules (see `costmodel "
                          "reconcile`).")(f)
    f = click.option("--rounding", type=click.Choice(["tf", "torchvision"]), default="tf",
                     show_default=True,
                     help="How α rounds channel counts: tf = the TF-slim reference code behind the "
                          "papers' numbers; torchvision = torchvision's models.")(f)
    f = click.option("--classes", type=int, default=None,
                     help="Classifier width [default: the spec's, 1000 for the built-ins; "
                          "TF-slim checkpoints use 1001].")(f)
    f = click.option("--rho", type=float, default=None,
                     help="Resolution multiplier ρ: resolution = round(ρ·224).")(f)
    f = click.option("--resolution", "-r", type=int, default=None,
                     help="Input resolution in pixels [default: 224].")(f)
    f = click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
                     help="Width multiplier α.")(f)
    return f


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"],
                                          "max_content_width": 100})
@click.version_option(package_name="costmodel", message="costmodel %(version)s")
def main():
    """Exact parameters and mult-adds (MAdds) of every layer of a CNN, without running it.

    MODEL is a built-in architecture (see `costmodel list`), a .toml/.json spec file,
    torchvision:NAME or path/to/file.py:callable (the last two need the 'torch' extra).
    Every number names its convention (paper, pytorch, fvcore, ...) and unit (MACs or FLOPs).

    \b
    Examples:
      costmodel list
      costmodel table mobilenet_v1 --by-type
      costmodel table mobilenet_v2 --alpha 0.5 --resolution 160 --formulas
      costmodel table my_net.toml --format markdown --out my_net.md
      costmodel sweep mobilenet_v3_large --alpha 0.35,0.5,0.75,1.0 --resolution 128:224:32
      costmodel ratio
      costmodel table torchvision:mobilenet_v3_large --kwargs width_mult=0.75
      costmodel crosscheck mobilenet_v2 --resolution 160
      costmodel reconcile torchvision:mobilenet_v2
    """


@main.command("list")
@click.option("--unit", type=click.Choice(["macs", "flops"]), default=None,
              help="MAdds in MACs (default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def list_cmd(unit, fmt):
    """The built-in architectures, with their paper-convention cost at α = 1, 224×224."""
    from costmodel.report.tables import list_frame, render
    click.echo(render(list_frame(unit), fmt), nl=False)


@main.command()
@click.argument("model")
@model_options
@click.option("--by-type", is_flag=True,
              help="MAdds and params per layer type with their shares (the V1 paper's Table 2).")
@click.option("--formulas", is_flag=True, help="Add each layer's cost formula with its numbers.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically) instead of printing.")
def table(model, alpha, resolution, rho, classes, rounding, convention, kwargs, unit, by_type,
          formulas, fmt, out):
    """Per-layer cost table of MODEL: shapes, weights, biases, norm params, params and MAdds.

    Text and Markdown end with the totals and the closed form of the MAdds in α and ρ
    (which layers scale with α²ρ², αρ², α, ...) against the exact count. For a PyTorch
    MODEL they list the operations the engine has no formula for.
    """
    import costmodel
    from costmodel.report.tables import table_text
    from costmodel.scaling import resolution_from
    from costmodel.sweep import scaling_law
    from costmodel.torch_bridge import is_model_ref, parse_kwargs
    res = resolution_from(resolution, rho) if (resolution is not None or rho is not None) else None
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        convention=convention, unit=unit, kwargs=parse_kwargs(kwargs))
    law = None if is_model_ref(model) else scaling_law(
        model, alpha=alpha, classes=classes, rounding=rounding, convention=convention, unit=unit)
    emit(table_text(c, fmt, by_type=by_type, formulas=formulas, law=law), out)


@main.command()
@click.argument("model")
@click.option("--alpha", "-a", "alphas", default="0.25,0.5,0.75,1.0", show_default=True,
              help="Width multipliers: a comma list, or start:stop:step.")
@click.option("--resolution", "-r", "resolutions", default="128,160,192,224", show_default=True,
              help="Resolutions: a comma list, or start:stop:step.")
@click.option("--classes", type=int, default=None, help="Classifier width [default: the spec's].")
@click.option("--rounding", type=click.Choice(["tf", "torchvision"]), default="tf", show_default=True)
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True)
@click.option("--unit", type=click.Choice(["macs", "flops"]), default=None)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None)
def sweep(model, alphas, resolutions, classes, rounding, convention, unit, fmt, out):
    """Exact params and MAdds of MODEL over an α × resolution grid, beside the closed form."""
    from costmodel.conventions import get
    from costmodel.report.tables import sweep_text
    from costmodel.sweep import parse_list, scaling_law, sweep as run_sweep
    a_list = parse_list(alphas, float, "--alpha")
    r_list = parse_list(resolutions, int, "--resolution")
    rows = run_sweep(model, a_list, r_list, classes=classes, rounding=rounding,
                     convention=convention, unit=unit)
    law = scaling_law(model, alpha=max(a_list), classes=classes, rounding=rounding,
                      convention=convention, unit=unit)
    name = model if isinstance(model, str) else "model"
    emit(sweep_text(rows, fmt, arch=name, convention=convention, unit=unit or get(convention).unit,
                    law=law), out)


@main.command()
@click.argument("model", required=False)
@click.option("--kernel", "-k", type=int, default=3, show_default=True, help="Dk, the kernel size.")
@click.option("--in-channels", "-m", type=int, default=512, show_default=True, help="M.")
@click.option("--out-channels", "-n", type=int, default=512, show_default=True, help="N.")
@click.option("--size", type=int, default=14, show_default=True, help="Df, the feature map size.")
@click.option("--alpha", "-a", type=float, default=None,
              help="Width multiplier [default 0.75 for one layer, 1 for a MODEL].")
@click.option("--rho", type=float, default=None,
              help="Resolution multiplier for one layer [default 0.714].")
@click.option("--resolution", "-r", type=int, default=None, help="MODEL's input resolution.")
@click.option("--rounding", type=click.Choice(["tf", "torchvision"]), default="tf", show_default=True)
@click.option("--unit", type=click.Choice(["macs", "flops"]), default=None,
              help="MAdds in MACs (default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def ratio(model, kernel, in_channels, out_channels, size, alpha, rho, resolution, rounding, unit,
          fmt):
    """Depthwise separable vs standard convolution: cost ratio and the closed form 1/N + 1/Dk².

    Without MODEL: one layer, with the rows of the V1 paper's Table 3 (the defaults
    reproduce it: 14×14×512, Dk = 3, α = 0.75, ρ = 0.714). With MODEL: every depthwise +
    pointwise pair of the model against the standard convolution it replaces.
    """
    from costmodel.ratio import model_pairs, separable_table
    from costmodel.report.tables import ratio_text
    if model is None:
        rows = separable_table(kernel, in_channels, out_channels, size,
                               alpha=0.75 if alpha is None else alpha,
                               rho=0.714 if rho is None else rho)
        title = (f"one layer: {size}×{size}×{in_channels} → {out_channels}, Dk = {kernel} "
                 f"(params = weights; rows are cumulative)")
    else:
        import costmodel
        c = costmodel.count(model, alpha=1.0 if alpha is None else alpha, resolution=resolution,
                            rounding=rounding)
        rows = model_pairs(c)
        title = f"{c.describe()}: depthwise + pointwise pairs vs standard convolutions"
    click.echo(ratio_text(rows, fmt, title, unit), nl=False)


@main.command()
@click.argument("model")
@click.option("--resolution", "-r", type=int, default=None, help="Input resolution [default: 224].")
@click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
              help="Width multiplier (specs only).")
@click.option("--classes", type=int, default=None, help="Classifier width (specs only).")
@click.option("--rounding", type=click.Choice(["tf", "torchvision"]), default="tf", show_default=True,
              help="Width rounding (specs only).")
@click.option("--kwargs", "kwargs", default=None,
              help="key=value,... for a torchvision:NAME or file.py:callable MODEL.")
@click.option("--unit", type=click.Choice(["macs", "flops"]), default=None,
              help="Counts in MACs (fvcore's unit, the default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def crosscheck(model, resolution, alpha, classes, rounding, kwargs, unit, fmt):
    """Every layer of MODEL: the engine (fvcore convention) against fvcore, module by module.

    A spec is built as a PyTorch model; a PyTorch model is extracted by running it once.
    fvcore (FlopCountAnalysis) counts the same nn.Module. Prints engine and fvcore counts per
    module with their difference, the totals, the operators fvcore skipped, and exits 0 when
    every module, the total and the parameters agree, 1 otherwise. Needs the 'torch' extra.
    """
    from costmodel.crosscheck import crosscheck as run_crosscheck, report_text
    from costmodel.scaling import resolution_from
    from costmodel.torch_bridge import parse_kwargs
    res = resolution_from(resolution) if resolution is not None else None
    cc = run_crosscheck(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs))
    click.echo(report_text(cc, fmt, unit), nl=False)
    return 0 if cc.agrees else 1


@main.command()
@click.argument("model")
@click.option("--tools", default=None, metavar="LIST",
              help="Comma-separated tools [default: all]: fvcore, ptflops-pytorch, ptflops-aten, "
                   "thop, torchinfo, torchprofile, flopcountermode, deepspeed.")
@click.option("--resolution", "-r", type=int, default=None, help="Input resolution [default: 224].")
@click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
              help="Width multiplier (specs only).")
@click.option("--classes", type=int, default=None, help="Classifier width (specs only).")
@click.option("--rounding", type=click.Choice(["tf", "torchvision"]), default="tf", show_default=True,
              help="Width rounding (specs only).")
@click.option("--kwargs", "kwargs", default=None,
              help="key=value,... for a torchvision:NAME or file.py:callable MODEL.")
@click.option("--unit", type=click.Choice(["macs", "flops"]), default=None,
              help="Show every tool in MACs or FLOPs (2 per MAC) [default: each tool's own unit].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically) instead of printing.")
def reconcile(model, tools, resolution, alpha, classes, rounding, kwargs, unit, fmt, out):
    """Why counters disagree: each tool's total rebuilt from the engine's facts and measured.

    A table of operation category (convolution, biases, batch norm, each activation,
    pooling, the SE multiply, residual adds) × tool (fvcore, ptflops with both backends,
    thop, torchinfo, torchprofile, torch's FlopCounterMode, DeepSpeed), each cell the tool's
    count of that category in its own unit, with every tool's rebuilt total, its total
    measured by running it (where installed), the difference and how it differs from the
    paper convention. Exits 0 when every measured total equals the rebuilt one, 1 otherwise.
    Needs the 'torch' extra; the tools come with the 'peers' extra.
    """
    from costmodel.peers import parse_tools
    from costmodel.reconcile import check_unit, reconcile as run_reconcile, report_text
    from costmodel.scaling import resolution_from
    from costmodel.torch_bridge import parse_kwargs
    names = parse_tools(tools)
    check_unit(names, unit)
    res = resolution_from(resolution) if resolution is not None else None
    rec = run_reconcile(model, tools=names, alpha=alpha, resolution=res, classes=classes,
                        rounding=rounding, kwargs=parse_kwargs(kwargs))
    emit(report_text(rec, fmt, unit), out)
    return 0 if rec.agrees else 1


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="The report folder (replaced atomically: a failure keeps the previous one).")
def report(out):
    """Write the report: per-layer tables of every built-in, with an index README."""
    from costmodel.report.job import run
    run(out, progress=lambda line: click.echo(line, err=True))


if __name__ == "__main__":
    main()
