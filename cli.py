"""The ``costmodel`` command: parse options, call the library, print.

Every command that a user can give bad input exits with status 2 and one line
on standard error naming what is wrong (file, layer, field); see
``costmodel.errors``.
"""

from __future__ import annotations

import sys

try:
    import click

    from costmodel.errors import CostmodelError

    from costmodel.commands import FORMATS, RATIO_LAYER
    from costmodel.conventions import CONVENTIONS as _CONVENTIONS, UNITS
    from costmodel.scaling import POLICIES
except KeyboardInterrupt:            # Ctrl-C while still importing: one line, no traceback
    sys.stderr.write("costmodel: interrupted\n")
    sys.exit(130)

CONVENTIONS = tuple(_CONVENTIONS)
MODEL_HELP = ("MODEL is a built-in architecture (see `costmodel list`), a .toml/.json spec file, "
              "torchvision:NAME (built with weights=None), timm:NAME (pretrained=False) or "
              "path/to/file.py:callable (a class or factory returning an nn.Module); the last "
              "three need the 'torch' extra (timm: the 'timm' extra).")


def torch_options(f):
    """--input and --strict: for a PyTorch MODEL, counted by running it once."""
    f = click.option("--strict", is_flag=True,
                     help="Exit 1 when the model has operations without a formula (a PyTorch "
                          "MODEL; they are always listed on standard error).")(f)
    f = click.option("--input", "input_shape", default=None, metavar="CxHxW",
                     help="A PyTorch MODEL's input without the batch, e.g. 1x28x28 or "
                          "3x256x192 [default: 3x(resolution)x(resolution)].")(f)
    return f


def announce(costing, strict: bool) -> int:
    """Say on standard error what a captured model could not count (and what was never
    called); the exit status --strict asks for."""
    from costmodel.report.tables import capture_notes
    for line in capture_notes(costing):
        click.echo(f"costmodel: {line}", err=True)
    return 1 if strict and getattr(costing, "unsupported", None) else 0


def announce_uncounted(uncounted: dict, strict: bool) -> int:
    """The operations without a formula, on standard error; 1 under --strict when any."""
    if uncounted:
        click.echo("costmodel: INCOMPLETE: no formula, not counted: " + ", ".join(
            f"{k} ×{v}" for k, v in sorted(uncounted.items())), err=True)
    return 1 if strict and uncounted else 0


class Main(click.Group):
    """A click group whose errors are one line and exit status 2 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:        # click would print a blank line, then "Aborted!"
            raise click.Abort() from None

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
        except (click.Abort, KeyboardInterrupt):
            click.echo("costmodel: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)


def writable(ctx, param, value):
    """An --out/--data option's callback: refuse an output that cannot be written before any
    work (missing or read-only folder, a folder in the way, a read-only file)."""
    if value is not None:
        from costmodel.report.io import check_writable
        check_writable(value)
    return value


def output_options(f):
    """--format (text, csv, markdown, json, latex) and --out (written atomically, checked
    before any work): how a command's result is rendered and where it goes."""
    f = click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable,
                     help="Write to this file (atomically) instead of printing.")(f)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                        show_default=True)(f)


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
    f = click.option("--unit", type=click.Choice(UNITS), default=None,
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
    f = click.option("--rounding", type=click.Choice(POLICIES), default="tf",
                     show_default=True,
                     help="How α rounds channel counts: tf = the TF-slim reference code behind the "
                          "papers' numbers; torchvision = torchvision's models.")(f)
    f = click.option("--classes", type=int, default=None,
                     help="Classifier width [default: the spec's, 1000 for the built-ins; "
                          "TF-slim checkpoints use 1001].")(f)
    f = click.option("--rho", type=float, default=None,
                     help="Resolution multiplier ρ: resolution = round(ρ·R₀), R₀ the model's own input "
                          "size (224 for the built-ins and PyTorch models).")(f)
    f = click.option("--resolution", "-r", type=int, default=None,
                     help="Input resolution in pixels [default: the model's own, 224 for the "
                          "built-ins].")(f)
    f = click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
                     help="Width multiplier α.")(f)
    return torch_options(f)


def run_options(f):
    """--resolution, --alpha, --classes, --rounding, --kwargs: a MODEL to build or load and run."""
    f = click.option("--kwargs", "kwargs", default=None,
                     help="key=value,... for a torchvision:NAME or file.py:callable MODEL.")(f)
    f = click.option("--rounding", type=click.Choice(POLICIES), default="tf",
                     show_default=True, help="Width rounding (specs only).")(f)
    f = click.option("--classes", type=int, default=None, help="Classifier width (specs only).")(f)
    f = click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
                     help="Width multiplier (specs only).")(f)
    f = click.option("--resolution", "-r", type=int, default=None,
                     help="Input resolution [default: 224].")(f)
    return torch_options(f)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"],
                                          "max_content_width": 100})
@click.version_option(package_name="costmodel", message="costmodel %(version)s")
def main():
    """Exact parameters and mult-adds (MAdds) of every layer of a CNN, without running it.

    MODEL is a built-in architecture (see `costmodel list`), a .toml/.json spec file,
    torchvision:NAME or path/to/file.py:callable (the last two need the 'torch' extra).
    Every number names its convention (paper, pytorch, fvcore, ...) and unit (MACs or FLOPs).
    Counts are exact integers at any size. Limits, refused in one line before any work: a
    spec expands to at most 100,000 layers, with repeat/residual groups nested at most 64
    deep; sweep takes at most 10,000 α × resolution points, plot sweep 2,500, plot layers
    draws at most 2,000 layers; crosscheck and reconcile build a spec as a PyTorch model
    only if it fits in half the memory.

    \b
    Examples:
      costmodel list
      costmodel table mobilenet_v1 --by-type
      costmodel table mobilenet_v2 --alpha 0.5 --resolution 160 --formulas
      costmodel table my_net.toml --format markdown --out my_net.md
      costmodel sweep mobilenet_v3_large --alpha 0.35,0.5,0.75,1.0 --resolution 128:224:32
      costmodel ratio
      costmodel table torchvision:mobilenet_v3_large --kwargs width_mult=0.75
      costmodel table timm:vit_base_patch16_224 --by-type
      costmodel table lenet.py:LeNet --input 1x28x28 --strict
      costmodel crosscheck mobilenet_v2 --resolution 160
      costmodel fit --madds 150M --params 4M
      costmodel plot tradeoff --out tradeoff.png
      costmodel plot layers mobilenet_v1 --out v1_layers.png
      costmodel report --out reports
      costmodel reconcile torchvision:mobilenet_v2
      costmodel memory mobilenet_v2 --by-resolution --dtype fp16
    """


@main.command("list")
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="MAdds in MACs (default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def list_cmd(unit, fmt):
    """The built-in architectures, with their paper-convention cost at α = 1, 224×224."""
    from costmodel.commands import list_models
    click.echo(list_models(unit).render(fmt), nl=False)


@main.command()
@click.argument("model")
@model_options
@click.option("--by-type", is_flag=True,
              help="MAdds and params per layer type with their shares (the V1 paper's Table 2).")
@click.option("--formulas", is_flag=True, help="Add each layer's cost formula with its numbers.")
@output_options
def table(model, alpha, resolution, rho, classes, rounding, convention, kwargs, unit, input_shape,
          strict, by_type, formulas, fmt, out):
    """Per-layer cost table of MODEL: shapes, weights, biases, norm params, params and MAdds.

    Text and Markdown end with the totals and the closed form of the MAdds in α and ρ
    (which layers scale with α²ρ², αρ², α, ...) against the exact count. For a PyTorch
    MODEL they list the operations the engine has no formula for.
    """
    from costmodel import commands
    from costmodel.torch_bridge import parse_input, parse_kwargs
    result = commands.table(model, alpha=alpha, resolution=resolution, rho=rho, classes=classes,
                            rounding=rounding, convention=convention, unit=unit,
                            kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape),
                            by_type=by_type, formulas=formulas)
    emit(result.render(fmt), out)
    return announce(result.costing, strict)


@main.command()
@click.argument("model")
@click.option("--alpha", "-a", "alphas", default="0.25,0.5,0.75,1.0", show_default=True,
              help="Width multipliers: a comma list, or start:stop:step.")
@click.option("--resolution", "-r", "resolutions", default="128,160,192,224", show_default=True,
              help="Resolutions: a comma list, or start:stop:step.")
@click.option("--classes", type=int, default=None, help="Classifier width [default: the spec's].")
@click.option("--rounding", type=click.Choice(POLICIES), default="tf", show_default=True)
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True)
@click.option("--unit", type=click.Choice(UNITS), default=None)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable)
def sweep(model, alphas, resolutions, classes, rounding, convention, unit, fmt, out):
    """Exact params and MAdds of MODEL over an α × resolution grid, beside the closed form.

    MODEL is a built-in or a spec file (a PyTorch model has no α to sweep). At most 10,000
    values per list and 10,000 α × resolution points.
    """
    from costmodel import commands
    emit(commands.sweep(model, alphas, resolutions, classes=classes, rounding=rounding,
                        convention=convention, unit=unit).render(fmt), out)


@main.command()
@click.argument("model", required=False)
@click.option("--kernel", "-k", type=int, default=RATIO_LAYER["kernel"], show_default=True,
              help="Dk, the kernel size.")
@click.option("--in-channels", "-m", type=int, default=RATIO_LAYER["in_channels"],
              show_default=True, help="M.")
@click.option("--out-channels", "-n", type=int, default=RATIO_LAYER["out_channels"],
              show_default=True, help="N.")
@click.option("--size", type=int, default=RATIO_LAYER["size"], show_default=True,
              help="Df, the feature map size.")
@click.option("--alpha", "-a", type=float, default=None,
              help=f"Width multiplier [default {RATIO_LAYER['alpha']:g} for one layer, 1 for a "
                   f"MODEL].")
@click.option("--rho", type=float, default=None,
              help=f"Resolution multiplier for one layer [default {RATIO_LAYER['rho']:g}].")
@click.option("--resolution", "-r", type=int, default=None, help="MODEL's input resolution.")
@click.option("--rounding", type=click.Choice(POLICIES), default="tf", show_default=True)
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="MAdds in MACs (default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def ratio(model, kernel, in_channels, out_channels, size, alpha, rho, resolution, rounding, unit,
          fmt):
    """Depthwise separable vs standard convolution: cost ratio and the closed form 1/N + 1/Dk².

    Without MODEL: one layer, with the rows of the V1 paper's Table 3 (the defaults
    reproduce it: 14×14×512, Dk = 3, α = 0.75, ρ = 0.714). With MODEL: every depthwise +
    pointwise pair of the model against the standard convolution it replaces.
    """
    from costmodel import commands
    click.echo(commands.ratio(model, kernel=kernel, in_channels=in_channels,
                              out_channels=out_channels, size=size, alpha=alpha, rho=rho,
                              resolution=resolution, rounding=rounding, unit=unit).render(fmt),
               nl=False)


@main.command()
@click.argument("model")
@run_options
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="Counts in MACs (fvcore's unit, the default) or FLOPs (2 per MAC).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def crosscheck(model, resolution, alpha, classes, rounding, kwargs, input_shape, strict, unit, fmt):
    """Every layer of MODEL: the engine (fvcore convention) against fvcore, module by module.

    A spec is built as a PyTorch model; a PyTorch model is extracted by running it once.
    fvcore (FlopCountAnalysis) counts the same nn.Module. Prints engine and fvcore counts per
    module with their difference, the totals, the operators fvcore skipped, and exits 0 when
    every module, the total and the parameters agree, 1 otherwise. Needs the 'torch' extra.
    """
    from costmodel.crosscheck import crosscheck as run_crosscheck, report_text
    from costmodel.scaling import resolution_from
    from costmodel.torch_bridge import parse_input, parse_kwargs
    res = resolution_from(resolution)
    cc = run_crosscheck(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape))
    click.echo(report_text(cc, fmt, unit), nl=False)
    return max(0 if cc.agrees else 1, announce_uncounted(cc.engine_unsupported, strict))


@main.command()
@click.argument("model", required=False)
@click.option("--paper", "paper", default=None,
              help="With MODEL: the paper architecture to compare it with (a built-in name).")
@click.option("--version", "version", default="latest", show_default=True,
              help="The paper version where they differ (mobilenet_v3_large: v1; mobilenet_v3_small: "
                   "mid, printed; mobilenet_v1: printed).")
@click.option("--alpha", "-a", type=float, default=1.0, show_default=True,
              help="Width multiplier of the paper model (and of a spec MODEL).")
@click.option("--resolution", "-r", type=int, default=None,
              help="Input resolution of both models [default: the paper model's, 224 for the "
                   "MobileNets, 300 for efficientnet_b3].")
@click.option("--rounding", type=click.Choice(POLICIES), default="tf", show_default=True,
              help="Width rounding of the paper model at α != 1.")
@click.option("--allow", default="", help="Known, intended deviations to accept: a comma list of "
              "classes, biases, norms, head, last, se, nonlinearity, stride, kernel, expansion, width, "
              "residual, stem, blocks.")
@click.option("--kwargs", "kwargs", default=None,
              help="key=value,... for a torchvision:NAME or file.py:callable MODEL.")
@click.option("--status", "statuses", default=None,
              help="Without MODEL: show only cells with these statuses (reproduced, explained, "
                   "erratum, unexplained, uncounted).")
@click.option("--latency", "latency_list", is_flag=True,
              help="Without MODEL: list every published latency (the V3 paper's Pixel 1/2/3 ms, "
                   "TF-slim's V2 and V3 tables, the V2 paper's Table 4) with its source, and a "
                   "profile calibrated on a third of the Pixel 1 figures predicting the rest.")
@click.option("--references", is_flag=True,
              help="Without MODEL: also count the other networks the MobileNet papers compare "
                   "against (GoogLeNet, VGG 16, SqueezeNet, AlexNet, Inception V3) through their "
                   "PyTorch reference implementations (runs PyTorch; the torch extra). Without "
                   "it their cells are 'uncounted' and say how to count them.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def check(model, paper, version, alpha, resolution, rounding, allow, kwargs, statuses, latency_list,
          references, fmt):
    """Conformance: the published numbers, or MODEL against a paper's architecture.

    \b
    Without MODEL: every published MAdds and params figure (papers, TF-slim, torchvision,
    timm) against the engine, each with its status: reproduced (the source's own
    convention), explained (another named rule reproduces it), erratum (a digit swap),
    unexplained (with the nearest candidate and the evidence), or uncounted (a network with
    no spec and no reference implementation here, or one counted only with --references:
    the cell says which). The last line counts each status; exit 0 when nothing is
    unexplained, 1 otherwise.

    \b
    With MODEL --paper ARCH: MODEL (a spec, torchvision:NAME or file.py:callable) block by
    block against the paper's table: kernel, expansion, output channels, SE, nonlinearity,
    stride, residual, first and last layers, head, classes, biases and norms, with the MAdds
    and params effect of each deviation. Exit 1 on any deviation not named in --allow.

    \b
    Examples:
      costmodel check
      costmodel check --status unexplained
      costmodel check --latency
      costmodel check --references --status reproduced,explained,unexplained
      costmodel check torchvision:mobilenet_v3_large --paper mobilenet_v3_large
      costmodel check my_v1.py:MobileNet --paper mobilenet_v1 --allow biases,classes
    """
    from costmodel import conformance
    from costmodel.errors import UsageError
    if model is None and latency_list:
        from costmodel.latency import published_latency_text
        click.echo(published_latency_text(fmt), nl=False)
        return 0
    if model is None:
        if paper is not None:
            raise UsageError("--paper compares a MODEL: give the model first (costmodel check MODEL --paper ARCH)")
        from costmodel.commands import check_published
        result = check_published(statuses, references=references)
        click.echo(result.render(fmt), nl=False)
        return result.exit_status
    if paper is None:
        raise UsageError("give the paper architecture to compare MODEL with: --paper ARCH "
                         "(e.g. --paper mobilenet_v2)")
    from costmodel.torch_bridge import parse_kwargs
    allow_list = tuple(a.strip() for a in allow.split(",") if a.strip())
    result = conformance.check_model(model, paper, alpha=alpha, resolution=resolution, version=version,
                                allow=allow_list, rounding=rounding, kwargs=parse_kwargs(kwargs))
    click.echo(result.render(fmt), nl=False)
    return 0 if result.conforms else 1


def memory_options(f):
    """table's model options (no convention or unit: memory is in bytes), --dtype, --batch."""
    f = click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Batch size (activations scale with it, parameters do not).")(f)
    f = click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16", "int8"]), default="fp32",
                     show_default=True, help="Bytes per element: fp32 4, fp16 and bf16 2, int8 1.")(f)
    f = click.option("--rho", type=float, default=None,
                     help="Resolution multiplier ρ: resolution = round(ρ·R₀), R₀ the model's own input "
                          "size (224 for the built-ins and PyTorch models).")(f)
    return run_options(f)


@main.command()
@click.argument("model")
@memory_options
@click.option("--by-resolution", is_flag=True,
              help="The V2 paper's Table 3 view: max channels and memory at each spatial size "
                   "(16-bit floats in the paper: add --dtype fp16).")
@click.option("--measure", is_flag=True,
              help="Also run the model on CUDA and print torch.cuda.max_memory_allocated beside "
                   "the peak (needs torch and a CUDA device).")
@output_options
def memory(model, resolution, alpha, classes, rounding, kwargs, input_shape, strict, rho, dtype,
           batch, by_resolution, measure, fmt, out):
    """Activation and weight bytes of every layer of MODEL, and its peak inference memory.

    Per layer: input, output and parameter bytes at --dtype and --batch, bytes moved
    (parameters + inputs + output), MACs per byte, and the bytes alive while it runs; the
    totals give the peak and the layer where it occurs (eager PyTorch lifetimes: a tensor
    lives until its last reader, a block holds its input until it ends) and the V2 paper's
    rule (the largest inputs + output of an operation, an inverted residual's expanded
    tensor not materialised). Torch-free for specs. A PyTorch model (any input shape) is
    read from its capture: its own allocations and their lifetimes as it ran, batch norm
    folded and activations with an inplace option in place.

    \b
    Examples:
      costmodel memory mobilenet_v2
      costmodel memory timm:convnext_atto -r 64
      costmodel memory mobilenet_v2 --by-resolution --dtype fp16
      costmodel memory mobilenet_v3_large --batch 8 --dtype fp16 --format csv --out mem.csv
    """
    import costmodel
    from costmodel.memory import by_resolution as table3, memory as run_memory
    from costmodel.report.memory import by_resolution_text, memory_text
    from costmodel.scaling import resolution_for
    from costmodel.torch_bridge import parse_input, parse_kwargs
    res = resolution_for(model, resolution, rho)
    if measure:
        from costmodel.memory import require_cuda
        require_cuda()
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape))
    rep = run_memory(c, dtype=dtype, batch=batch)
    if by_resolution:
        text = by_resolution_text(rep, table3(c, dtype=dtype, batch=batch), fmt)
    else:
        text = memory_text(rep, fmt)
    if measure:
        from costmodel.memory import measure_cuda
        got = measure_cuda(c, dtype=dtype, batch=batch)
        text += (f"measured on CUDA: torch.cuda.max_memory_allocated {got:,} bytes beyond the "
                 f"parameters; analytic peak {rep.peak.bytes:,} bytes; ratio "
                 f"{got / rep.peak.bytes:.3f}\n")
    emit(text, out)


@main.command()
@click.option("--madds", "madds", default=None, metavar="BUDGET",
              help="MAdds budget: 150M, 1.5G, 800k or 150000000 (k = 10³, M = 10⁶, G = 10⁹).")
@click.option("--params", "params", default=None, metavar="BUDGET",
              help="Parameter budget, written the same way (e.g. 2M).")
@click.option("--families", default=None,
              help="Comma list of families (each built-in's `family`, e.g. v2,v3,mnasnet; a wrong "
                   "name lists them) or built-in names [default: every built-in].")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
              help="What the budget counts (see `costmodel table --help`).")
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="The MAdds budget in MACs or FLOPs [default: the convention's unit, MACs].")
@click.option("--all", "show_all", is_flag=True,
              help="List every configuration without a published top-1 that fits "
                   "[default: the 10 with the most MAdds].")
@output_options
def fit(madds, params, families, convention, unit, show_all, fmt, out):
    """The built-in configurations within a budget, best published top-1 first.

    A configuration is a built-in architecture at one α and resolution: every point of
    its family's published grid (V1: α 0.25–1.0 × 128–224; V2: α 0.35–1.4 × 96–224;
    V3: α 0.35–1.25 × 96–256). Each is counted exactly; those within the budget are
    ranked by their published ImageNet top-1 (TF-slim checkpoint tables, the papers'
    tables; the source is named), then the ones whose accuracy is not published, by
    MAdds alone (the 10 largest; --all for every one).

    \b
    Examples:
      costmodel fit --madds 150M
      costmodel fit --madds 300M --params 3.5M --families v2,v3
      costmodel fit --madds 60M --families mobilenet_v3_small --format markdown
    """
    from costmodel import commands
    emit(commands.fit(madds, params, families, convention=convention, unit=unit,
                      show_all=show_all).render(fmt), out)


@main.group()
def plot():
    """Figures as PNG, SVG or PDF (by --out's suffix): trade-offs, per-layer bars, α × ρ maps.

    \b
    Examples:
      costmodel plot tradeoff --out tradeoff.png
      costmodel plot tradeoff --metric params --families v2,v3 --out params.svg
      costmodel plot layers mobilenet_v1 --out v1_layers.png
      costmodel plot layers mobilenet_v3_small --alpha 0.75 --resolution 160
      costmodel plot sweep mobilenet_v2 --out v2_sweep.png
    """


@plot.command("tradeoff")
@click.option("--metric", type=click.Choice(["madds", "params", "memory", "latency"]),
              default="madds", show_default=True,
              help="The x axis: exact MAdds or exact params (paper convention), peak inference "
                   "memory (fp32, batch 1; see `costmodel memory`), or latency measured on this "
                   "machine (--measurements); log scale.")
@click.option("--measurements", type=click.Path(dir_okay=False), default=None,
              help="With --metric latency: a CSV of measured latencies (model, alpha, resolution, "
                   "latency_ms) [default: the committed CPU 1-thread measurements].")
@click.option("--families", default=None,
              help="Comma list of families (each built-in's `family`, e.g. v2,v3,mnasnet; a wrong "
                   "name lists them) or built-in names [default: every built-in on the chart].")
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable,
              help="The figure (.png, .svg or .pdf) [default: tradeoff_METRIC.png].")
@click.option("--data", type=click.Path(dir_okay=False), default=None, callback=writable,
              help="Also write the plotted points as CSV to this file.")
def plot_tradeoff(metric, measurements, families, out, data):
    """Published ImageNet top-1 against exact MAdds (or params) of every family.

    Every built-in whose family data names a published top-1: MobileNet V1's 16 and
    V2's 22 α × resolution checkpoints (TF-slim's accuracies), V3's variants (the V3
    paper's Table 9), MobileNetV4, MnasNet and EfficientNet, one color per family and
    one marker per architecture. The x position is the engine's
    exact count (paper convention, TF rounding, the published model's classes); where
    the published figure differs at its printed precision it is drawn hollow beside it.
    The dashed line is the Pareto front; points are labelled α/resolution.
    """
    from costmodel.accuracy import parse_families
    from costmodel.report.plots import check_out, draw_tradeoff, tradeoff_data
    out = out or f"tradeoff_{metric}.png"
    check_out(out)
    archs = parse_families(families, "--families") if families else None
    if metric == "latency":
        return _plot_latency_tradeoff(measurements, archs, out, data)
    d = tradeoff_data(metric, archs)
    click.echo(f"plot: {len(d['points'])} published models, {len(d['front'])} on the Pareto front",
               err=True)
    labels = draw_tradeoff(d, [out])
    if labels.dropped:
        click.echo(f"plot: no free spot for the labels of {', '.join(labels.dropped)}", err=True)
    click.echo(f"wrote {out}", err=True)
    if data:
        from costmodel.report.tables import tradeoff_frame
        name = {"madds": "MAdds", "params": "params", "memory": "peak memory"}[metric]
        emit(tradeoff_frame(d["points"], {name: d["front"]}).to_csv(index=False), data)


def _plot_latency_tradeoff(measurements, archs, out, data):
    from costmodel.report import latency_plots as lp
    d = lp.latency_tradeoff_data(measurements, archs)
    click.echo(f"plot: {len(d['points'])} published models measured, {len(d['front'])} on the "
               f"Pareto front" + (f"; {len(d['missing'])} not in the measurements"
                                  if d["missing"] else ""), err=True)
    lp.draw_latency_tradeoff(d, [out])
    click.echo(f"wrote {out}", err=True)
    if data:
        import pandas as pd
        frame = pd.DataFrame([{"arch": p.arch, "alpha": p.alpha, "resolution": p.resolution,
                               "top1": p.top1, "top1 source": p.source, "latency_ms": ms,
                               "on front": any(p is q for q, _ in d["front"])}
                              for p, ms in d["points"]])
        emit(frame.to_csv(index=False), data)
    return 0


@plot.command("latency")
@click.option("--measurements", type=click.Path(dir_okay=False), default=None,
              help="The benchmark's CSV [default: the committed CPU 1-thread measurements].")
@click.option("--out", type=click.Path(dir_okay=False), default="latency_prediction.png",
              show_default=True, callback=writable, help="The figure (.png, .svg or .pdf).")
def plot_latency(measurements, out):
    """Measured latency against MAdds, and against the calibrated profile's prediction.

    Reads the CSV benchmarks/latency.py writes (columns model, alpha, resolution, madds,
    latency_ms, split, predicted_ms, pass1_ms, pass2_ms); the titles carry Spearman's rank
    correlation, the median absolute error and the noise ceiling (pass 1 vs pass 2).
    """
    from costmodel.report import latency_plots as lp
    from costmodel.report.plots import check_out
    check_out(out)
    d = lp.prediction_data(measurements)
    lp.draw_prediction(d, [out])
    click.echo(f"wrote {out}", err=True)


@plot.command("layers")
@click.argument("model")
@model_options
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable,
              help="The figure (.png, .svg or .pdf) [default: NAME_layers.png].")
def plot_layers(model, alpha, resolution, rho, classes, rounding, convention, kwargs, unit,
                input_shape, strict, out):
    """MAdds and params of every layer of MODEL as bars colored by layer kind.

    Standard, depthwise, pointwise (1×1) and grouped convolutions, squeeze-excite and
    fully connected layers each have a color; beside the bars, each kind's share of
    the total (V1: 95% of the MAdds in 1×1 convolutions). At most 2,000 layers.
    """
    import costmodel
    from costmodel.report.plots import check_out, default_out, draw_layers
    from costmodel.scaling import resolution_for
    from costmodel.torch_bridge import parse_input, parse_kwargs
    res = resolution_for(model, resolution, rho)
    if out is None:
        out = default_out(model, "layers")
    check_out(out)
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        convention=convention, unit=unit, kwargs=parse_kwargs(kwargs),
                        input_shape=parse_input(input_shape))
    draw_layers(c, [out])
    click.echo(f"wrote {out}", err=True)
    return announce(c, strict)


@plot.command("memory")
@click.argument("model")
@memory_options
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="The figure (.png, .svg or .pdf) [default: NAME_memory.png].")
def plot_memory(model, resolution, alpha, classes, rounding, kwargs, input_shape, strict, rho, dtype,
                batch, out):
    """Memory of every layer of MODEL: the bytes alive while it runs, the peak marked.

    Below: each layer's output bytes (colored by kind) and parameter bytes. The numbers are
    `costmodel memory`'s (eager lifetimes; the V2 paper's rule in the title).
    """
    import re

    import costmodel
    from costmodel.memory import memory as run_memory
    from costmodel.report.plots import check_out, draw_memory
    from costmodel.scaling import resolution_for
    from costmodel.torch_bridge import parse_input, parse_kwargs
    res = resolution_for(model, resolution, rho)
    if out is None:
        out = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(model).rsplit("/", 1)[-1]) + "_memory.png"
    check_out(out)
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape))
    draw_memory(run_memory(c, dtype=dtype, batch=batch), [out])
    click.echo(f"wrote {out}", err=True)


@plot.command("sweep")
@click.argument("arch")
@click.option("--alpha", "-a", "alphas", default=None,
              help="Width multipliers: a comma list or start:stop:step [default: the family's "
                   "published α].")
@click.option("--resolution", "-r", "resolutions", default=None,
              help="Resolutions: a comma list or start:stop:step [default: the family's published "
                   "resolutions].")
@click.option("--classes", type=int, default=None, help="Classifier width [default: the spec's].")
@click.option("--rounding", type=click.Choice(POLICIES), default="tf", show_default=True)
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable,
              help="The figure (.png, .svg or .pdf) [default: ARCH_sweep.png].")
def plot_sweep(arch, alphas, resolutions, classes, rounding, convention, out):
    """Heatmaps of ARCH over α × resolution: exact MAdds, exact params and the closed form's error.

    ARCH is a built-in or a spec file. The published configurations are marked, with a red
    outline where a published MAdds figure differs from the exact count; the closed form
    (MAdds ≈ A·α²ρ² + B·αρ² + C·α + D, see `costmodel table`) is printed below. At most
    2,500 α × resolution cells.
    """
    from costmodel.report.plots import check_out, default_out, draw_sweep, sweep_grid
    from costmodel.sweep import parse_list
    from costmodel.torch_bridge import is_model_ref
    if is_model_ref(arch):
        from costmodel.errors import UsageError
        raise UsageError(f"{arch}: plot sweep needs a built-in or a spec file (a PyTorch model "
                         f"has no width multiplier)")
    a_list = parse_list(alphas, float, "--alpha") if alphas is not None else None
    r_list = parse_list(resolutions, int, "--resolution") if resolutions is not None else None
    if out is None:
        out = default_out(arch, "sweep")
    check_out(out)
    grid = sweep_grid(arch, a_list, r_list, classes=classes, rounding=rounding,
                      convention=convention)
    click.echo(f"plot: {len(grid['alphas'])} α × {len(grid['resolutions'])} resolutions, "
               f"{len(grid['published'])} published configurations", err=True)
    draw_sweep(grid, [out])
    click.echo(f"wrote {out}", err=True)


@main.command()
@click.argument("model")
@click.option("--tools", default=None, metavar="LIST",
              help="Comma-separated tools [default: all]: fvcore, ptflops-pytorch, ptflops-aten, "
                   "thop, torchinfo, torchprofile, flopcountermode, deepspeed.")
@run_options
@click.option("--unit", type=click.Choice(UNITS), default=None,
              help="Show every tool in MACs or FLOPs (2 per MAC) [default: each tool's own unit].")
@click.option("--memory", "memory_figures", is_flag=True,
              help="The memory figures instead: fvcore's ActivationCountAnalysis and torchinfo's "
                   "input, forward/backward pass, params and total sizes, rebuilt and measured, "
                   "beside the engine's peak (--tools fvcore,torchinfo narrows them).")
@output_options
def reconcile(model, tools, resolution, alpha, classes, rounding, kwargs, input_shape, strict, unit,
              memory_figures, fmt, out):
    """Why counters disagree: each tool's total rebuilt from the engine's facts and measured.

    A table of operation category (convolution, biases, batch norm, each activation,
    pooling, the SE multiply, residual adds) × tool (fvcore, ptflops with both backends,
    thop, torchinfo, torchprofile, torch's FlopCounterMode, DeepSpeed), each cell the tool's
    count of that category in its own unit, with every tool's rebuilt total, its total
    measured by running it (where installed), the difference and how it differs from the
    paper convention. Exits 0 when every measured total equals the rebuilt one, 1 otherwise.
    Needs the 'torch' extra; the tools come with the 'peers' extra.
    """
    if memory_figures:
        return _reconcile_memory(model, tools, resolution, alpha, classes, rounding, kwargs,
                                 input_shape, unit,
                                 fmt, out)
    from costmodel.peers import parse_tools
    from costmodel.reconcile import check_unit, reconcile as run_reconcile, report_text
    from costmodel.scaling import resolution_from
    from costmodel.torch_bridge import parse_input, parse_kwargs
    names = parse_tools(tools)
    check_unit(names, unit)
    res = resolution_from(resolution)
    rec = run_reconcile(model, tools=names, alpha=alpha, resolution=res, classes=classes,
                        rounding=rounding, kwargs=parse_kwargs(kwargs),
                        input_shape=parse_input(input_shape))
    emit(report_text(rec, fmt, unit), out)
    return max(0 if rec.agrees else 1, announce_uncounted(rec.engine_unsupported, strict))


def _reconcile_memory(model, tools, resolution, alpha, classes, rounding, kwargs, input_shape, unit,
                      fmt, out):
    """`reconcile --memory`: the peers' memory figures rebuilt, measured, beside the peak."""
    import costmodel
    from costmodel.errors import UsageError
    from costmodel.memory import reconcile_memory
    from costmodel.report.memory import reconcile_memory_text
    from costmodel.scaling import resolution_from
    from costmodel.torch_bridge import parse_input, parse_kwargs, require_torch
    names = ("fvcore", "torchinfo") if tools is None else tuple(
        t.strip() for t in tools.split(",") if t.strip())
    bad = [t for t in names if t not in ("fvcore", "torchinfo")]
    if bad:
        raise UsageError(f"--memory: no memory figure of {bad[0]!r}: use fvcore, torchinfo")
    if unit is not None:
        raise UsageError("--unit does not apply to --memory (elements and bytes)")
    require_torch()
    res = resolution_from(resolution)
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape))
    figs, rep = reconcile_memory(c, getattr(c, "module", None), tools=names)
    emit(reconcile_memory_text(figs, rep, fmt), out)
    return 0 if all(f.agrees is not False for f in figs) else 1


@main.command()
@click.option("--out", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="The report folder (replaced atomically: a failure keeps the previous one).")
@click.option("--redraw", is_flag=True,
              help="Draw every figure, even those the previous report in the folder drew from "
                   "the same inputs (by default they are kept).")
def report(out, redraw):
    """Write the report that `make report` writes: everything at a glance.

    \b
    DIR/README.md   summary of every built-in at its paper configurations (paper and
                    fvcore conventions, published top-1), the conformance summary,
                    every figure embedded
    DIR/tables/     per-model tables (CSV, Markdown), summary and trade-off data
    DIR/figures/    trade-off charts, per-layer bars, α × resolution maps (PNG, SVG)

    Deterministic (re-runs give byte-identical tables) and atomic: built in a temporary
    folder and swapped in, so a failure keeps the previous report. Needs no torch, no
    network and no weights; prints a progress line per step. The figures are drawn in one
    process per CPU; those of the previous report are kept when nothing they are drawn
    from changed (every file of the costmodel package, the Python, matplotlib, numpy and
    pandas versions: figures/inputs.json records them).

    \b
    Example:
      costmodel report --out reports
    """
    from costmodel.report.job import run
    run(out, progress=lambda line: click.echo(line, err=True), redraw=redraw)


# --------------------------------------------------------------------------- latency

@main.command()
@click.argument("model", required=False)
@click.option("--device", "profile", default="mnv4-pixel6-cpu", show_default=True,
              metavar="PROFILE",
              help="A device profile: a JSON file (as `costmodel calibrate` writes) or a preset: "
                   "mnv4-pixel6-cpu, mnv4-s23-cpu, mnv4-pixel4-dsp, mnv4-pixel8-edgetpu "
                   "(MobileNetV4's Table 16 ridge points), macs-only, or one calibrated here "
                   "(see `costmodel latency --list`).")
@click.option("--list", "list_presets", is_flag=True, help="List the preset profiles with their sources.")
@run_options
@click.option("--rho", type=float, default=None,
              help="Resolution multiplier ρ: resolution = round(ρ·R₀), R₀ the model's own input "
                   "size (224 for the built-ins and PyTorch models).")
@click.option("--batch", type=int, default=1, show_default=True, help="Batch size.")
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "int8"]), default=None,
              help="Bytes per element [default: the profile's].")
@output_options
def latency(model, profile, list_presets, resolution, alpha, classes, rounding, kwargs, input_shape,
            strict, rho, batch, dtype, fmt, out):
    """Predicted latency of MODEL on a device profile, per layer, with each layer's bound.

    \b
    time(layer) = max(MACs / rate[kind], bytes / bandwidth)
                  + unfused element-wise bytes / bandwidth + ops · overhead
    summed over layers, from the engine's exact MACs and bytes (weights + inputs +
    outputs at --dtype). The bound of a layer (compute, memory or overhead) is its
    largest term. MobileNetV4's roofline is the special case with one rate and no
    overhead (the mnv4-* presets; their times are relative: only the ridge point
    is published).

    \b
    Examples:
      costmodel latency mobilenet_v3_large --device mnv4-pixel4-dsp
      costmodel latency mobilenet_v2 --alpha 0.5 -r 160 --device cpu.json --format csv
      costmodel latency --list
    """
    from costmodel import latency as lat
    if list_presets:
        import pandas as pd
        from costmodel.report.tables import render
        rows = [{"name": p.name, "device": p.device, "ridge point": round(p.ridge_point, 2),
                 "relative": p.relative, "source": p.source} for p in lat.presets().values()]
        click.echo(render(pd.DataFrame(rows), fmt, title="device profiles"), nl=False)
        return 0
    import costmodel
    from costmodel.scaling import resolution_for
    from costmodel.torch_bridge import parse_input, parse_kwargs
    if model is None:
        from costmodel.errors import UsageError
        raise UsageError("give a MODEL (or --list for the preset profiles)")
    res = resolution_for(model, resolution, rho)
    prof = lat.load_profile(profile)
    c = costmodel.count(model, alpha=alpha, resolution=res, classes=classes, rounding=rounding,
                        kwargs=parse_kwargs(kwargs), input_shape=parse_input(input_shape))
    emit(lat.predict(c, prof, batch=batch, dtype=dtype).text(fmt), out)


@main.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--threads", type=int, default=1, show_default=True,
              help="Intra-op threads (torch.set_num_threads); on the CPU the process is pinned "
                   "to as many CPUs unless --no-pin.")
@click.option("--batch", type=int, default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16"]), default="float32",
              show_default=True)
@click.option("--alpha", "-a", "alphas", default="1.0", show_default=True,
              help="Width multipliers of spec MODELs: a comma list or start:stop:step.")
@click.option("--resolution", "-r", "resolutions", default="224", show_default=True,
              help="Resolutions: a comma list or start:stop:step.")
@click.option("--kwargs", "kwargs", default=None,
              help="key=value,... for a torchvision:NAME or file.py:callable MODEL.")
@click.option("--warmup", type=int, default=5, show_default=True, help="Warm-up runs per configuration.")
@click.option("--repeats", type=int, default=15, show_default=True,
              help="Samples per configuration and pass (interleaved rounds over all configurations).")
@click.option("--min-sample-ms", type=float, default=20.0, show_default=True,
              help="Each sample times back-to-back runs lasting at least this long.")
@click.option("--passes", type=int, default=1, show_default=True,
              help="Independent passes (2 or more also print the noise ceiling).")
@click.option("--cuda-graphs", is_flag=True, help="On CUDA, replay a captured CUDA graph (no Python launch overhead).")
@click.option("--no-pin", is_flag=True, help="Do not pin the process to CPUs.")
@click.option("--per-layer", is_flag=True,
              help="Time every leaf module of one MODEL (hooks) and map it to the engine's layers, "
                   "with time and MAdds shares by layer type.")
@output_options
def bench(models, device, threads, batch, dtype, alphas, resolutions, kwargs, warmup, repeats,
          min_sample_ms, passes, cuda_graphs, no_pin, per_layer, fmt, out):
    """Measure MODEL's latency here: median and spread of interleaved repeats.

    Every MODEL × α × resolution configuration is built (a spec) or loaded (a PyTorch
    model), warmed up, then timed in rounds that run each configuration once in a
    shuffled order; a sample times enough back-to-back runs to last --min-sample-ms; the
    latency is the median of the samples (p10 and p90 beside it). The CSV output is a
    calibration input for `costmodel calibrate`. Needs the 'torch' extra.

    \b
    Examples:
      costmodel bench mobilenet_v3_small
      costmodel bench mobilenet_v1 mobilenet_v2 -a 0.5,1.0 -r 128,224 --format csv --out m.csv
      costmodel bench mobilenet_v1 --per-layer
      costmodel bench torchvision:mobilenet_v3_large --device cuda --cuda-graphs
    """
    import pandas as pd
    from costmodel import bench as B
    from costmodel.report.tables import render
    from costmodel.sweep import parse_list
    from costmodel.torch_bridge import is_model_ref, parse_kwargs
    B.check_device(device)
    progress = (lambda line: click.echo(line, err=True))
    a_list = parse_list(alphas, float, "--alpha")
    r_list = parse_list(resolutions, int, "--resolution")
    kw = parse_kwargs(kwargs)
    info = B.machine(device, threads)
    head = (f"{info['cpu']} ({info['cores']} cores), {threads} thread(s), torch {info['torch']}"
            + (f", {info['gpu']}" if "gpu" in info else "") + f", batch {batch}, {dtype}")
    if per_layer:
        if len(models) != 1 or len(a_list) != 1 or len(r_list) != 1:
            from costmodel.errors import UsageError
            raise UsageError("--per-layer times one configuration: give one MODEL, one --alpha, "
                             "one --resolution")
        rows = B.measure_layers(models[0], alpha=a_list[0], resolution=r_list[0], device=device,
                                threads=threads, batch=batch, dtype=dtype, warmup=warmup,
                                repeats=max(repeats, 10), pin=not no_pin, kwargs=kw,
                                progress=progress)
        groups = B.by_group(rows)
        if fmt in ("csv", "latex"):
            text = render(pd.DataFrame(rows), fmt)
        else:
            meta = {"machine": info, "model": models[0], "alpha": a_list[0],
                    "resolution": r_list[0]}
            text = render(pd.DataFrame(rows), fmt, title=f"{models[0]} per layer: {head}",
                          meta=meta, key="layers", floatfmt=",.4f")
            text += "\n" + render(pd.DataFrame(groups), fmt if fmt != "json" else "text",
                                  title="by layer type (time % of the timed modules, MAdds % "
                                        "paper convention)")
            if fmt == "json":
                import json
                doc = json.loads(render(pd.DataFrame(rows), "json", meta=meta, key="layers"))
                doc["by_group"] = groups
                text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        emit(text, out)
        return 0
    configs = []
    for m in models:
        if is_model_ref(m):
            configs += [B.Config(m, 1.0, r, kw) for r in r_list]
        else:
            configs += [B.Config(m, a, r) for a in a_list for r in r_list]
    rows = B.measure(configs, device=device, threads=threads, batch=batch, dtype=dtype,
                     warmup=warmup, repeats=repeats, min_sample_s=min_sample_ms / 1e3,
                     passes=passes, cuda_graphs=cuda_graphs, pin=not no_pin, progress=progress)
    notes = []
    if passes > 1 and len(rows) > 1:
        nc = B.noise_ceiling(rows)
        notes.append(f"noise ceiling (pass 1 vs pass 2): Spearman {nc['spearman']:.3f}, median "
                     f"absolute difference {nc['mdape']:.1f}%")
    emit(render(pd.DataFrame(rows), fmt, title=f"measured latency (ms): {head}",
                meta={"machine": info}, notes=notes, key="measurements", floatfmt=",.4f"), out)


@main.command()
@click.argument("measurements", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None, callback=writable,
              help="Write the fitted profile (JSON) to this file.")
@click.option("--name", default=None, help="The profile's name [default: the --out file's stem].")
@click.option("--folds", type=int, default=5, show_default=True, help="Cross-validation folds.")
@click.option("--fused", is_flag=True,
              help="The runtime folds batch norm and activations into convolutions (TFLite); "
                   "default: eager PyTorch, each its own operation.")
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "int8"]),
              default="float32", show_default=True)
@click.option("--source", default="", help="Where the measurements come from (kept in the profile).")
def calibrate(measurements, out, name, folds, fused, dtype, source):
    """Fit a device profile to measured latencies, with cross-validated figures.

    MEASUREMENTS.csv has rows model,resolution,latency_ms (optional alpha, batch,
    threads), e.g. `costmodel bench ... --format csv`. MODEL is as everywhere. The
    profile's parameters (MAC rate per layer kind, bandwidth, overhead per operation;
    all >= 0) are fitted by a robust non-negative least squares on relative errors.
    Prints Spearman and the median absolute percentage error, in cross-validation, for
    the profile and for MAdds alone (time = a·MAdds + b).

    \b
    Example:
      costmodel bench mobilenet_v1 mobilenet_v2 -a 0.5,0.75,1.0 -r 128,160,224 --format csv --out m.csv
      costmodel calibrate m.csv --out cpu.json
      costmodel latency mobilenet_v3_large --device cpu.json
    """
    import json
    from pathlib import Path
    from costmodel import latency as lat
    ms = lat.read_measurements(measurements)
    lat.attach_costs(ms, dtype=dtype, fused=fused, where=measurements)
    cal = lat.calibrate(ms, name=name or (Path(out).stem if out else "calibrated"), folds=folds,
                        fused=fused, dtype=dtype, source=source or f"calibrated on {measurements}",
                        progress=lambda line: click.echo(line, err=True))
    click.echo(cal.text(), nl=False)
    if out:
        doc = cal.profile.to_json()
        doc["fit"] = {"measurements": cal.n, "folds": cal.folds, "cv": cal.cv,
                      "in_sample": cal.in_sample}
        emit(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", out)


if __name__ == "__main__":
    main()
