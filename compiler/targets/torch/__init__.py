"""The PyTorch target: torchvision-compatible modules, their check, and `verify` against torch."""
