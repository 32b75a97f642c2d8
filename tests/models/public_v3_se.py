"""MobileNetV3-Small with the squeeze-and-excitation of public MobileNetV3 code: a batch norm
in the squeeze path and no biases (torchvision's model, its SE modules replaced)."""
import torch.nn as nn
from torchvision.models import mobilenet_v3_small
from torchvision.ops.misc import SqueezeExcitation


class PublicSE(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeeze, 1, bias=False),
                                nn.BatchNorm2d(squeeze), nn.ReLU(inplace=True),
                                nn.Conv2d(squeeze, channels, 1, bias=False), nn.Hardsigmoid())

    def forward(self, x):
        return x * self.se(x)


def make():
    model = mobilenet_v3_small()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, SqueezeExcitation):
                setattr(parent, name, PublicSE(child.fc1.in_channels, child.fc1.out_channels))
    return model
