"""Reference PyTorch implementations of networks as their papers published them, where
torchvision's and timm's differ (counted by ``costmodel check`` through the capture).

Each builder imports torch when called, never at import."""


def alexnet_2012(num_classes: int = 1000):
    """AlexNet as Krizhevsky et al. (NIPS 2012) trained it on two GPUs: 96-256-384-384-256
    filters on a 227×227 input, conv2, conv4 and conv5 in 2 groups (each GPU sees its own
    half of the previous layer's maps), local response normalisation after conv1 and conv2,
    overlapping 3×3 stride-2 max pooling, then FC 9216-4096-4096-classes.  torchvision's
    ``alexnet`` is the single-tower 64-192-384-256-256 version ("One weird trick", 2014)."""
    import torch.nn as nn
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.LocalResponseNorm(5),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(),
        nn.Linear(4096, num_classes))


def googlenet_2014(num_classes: int = 1000):
    """GoogLeNet as Szegedy et al. (CVPR 2015, Table 1) built it: torchvision's ``googlenet``
    with each Inception module's "5×5" branch a 5×5 convolution (torchvision's is 3×3, "a
    known bug" its code says), without the auxiliary classifiers (training only)."""
    import torch.nn as nn
    import torchvision
    model = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False,
                                         num_classes=num_classes)
    for m in model.modules():
        if type(m).__name__ == "Inception":
            old = m.branch3[1].conv
            m.branch3[1].conv = nn.Conv2d(old.in_channels, old.out_channels, 5, padding=2,
                                          bias=False)
    return model.eval()
