"""Training engine: pure PyTorch and NumPy. Configs in, plain results out; no screen."""
