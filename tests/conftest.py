import os

import torch

# Page tests start the app's own runner: two workers keep the suite light on a two-core machine.
os.environ.setdefault("DLLAB_WORKERS", "2")
# A page test that opens the largest settings leaves its run behind; this bounds it.
os.environ.setdefault("DLLAB_JOB_TIMEOUT_S", "20")

# The models here are tiny: one thread is fastest, and it keeps parallel test runs fair.
torch.set_num_threads(1)
