import torch

# The models here are tiny: one thread is fastest, and it keeps parallel test runs fair.
torch.set_num_threads(1)
