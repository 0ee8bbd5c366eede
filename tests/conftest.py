import os

import torch

# Page tests start the app's own runner: two workers keep the suite light on a two-core machine.
os.environ.setdefault("DLLAB_WORKERS", "2")

# The models here are tiny: one thread is fastest, and it keeps parallel test runs fair.
torch.set_num_threads(1)
