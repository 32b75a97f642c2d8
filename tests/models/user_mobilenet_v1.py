"""A MobileNetV1 written the way many PyTorch repositories write it (not built from a spec).

With the defaults it has biased convolutions and a 5-class head, two deviations from the
paper's Table 1; ``MobileNetV1(bias=False, num_classes=1000)`` is the paper's model.
"""

import torch.nn as nn


def conv_bn(inp, oup, stride, bias):
    return nn.Sequential(nn.Conv2d(inp, oup, 3, stride, 1, bias=bias), nn.BatchNorm2d(oup),
                         nn.ReLU(inplace=True))


def conv_dw(inp, oup, stride, bias):
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=bias), nn.BatchNorm2d(inp),
        nn.ReLU(inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=bias), nn.BatchNorm2d(oup), nn.ReLU(inplace=True))


class MobileNetV1(nn.Module):
    def __init__(self, num_classes=5, bias=True):
        super().__init__()
        b = bias
        self.model = nn.Sequential(
            conv_bn(3, 32, 2, b), conv_dw(32, 64, 1, b), conv_dw(64, 128, 2, b),
            conv_dw(128, 128, 1, b), conv_dw(128, 256, 2, b), conv_dw(256, 256, 1, b),
            conv_dw(256, 512, 2, b), conv_dw(512, 512, 1, b), conv_dw(512, 512, 1, b),
            conv_dw(512, 512, 1, b), conv_dw(512, 512, 1, b), conv_dw(512, 512, 1, b),
            conv_dw(512, 1024, 2, b), conv_dw(1024, 1024, 1, b), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.model(x)
        x = x.view(-1, 1024)
        return self.fc(x)


def paper_model():
    return MobileNetV1(num_classes=1000, bias=False)


def raises():
    raise RuntimeError("weights file not found")


def fixed_pool():
    """The paper's 7×7 average pool: runs at 224, not at inputs smaller than 193."""
    m = MobileNetV1(num_classes=1000, bias=False)
    m.model[-1] = nn.AvgPool2d(7)
    return m
