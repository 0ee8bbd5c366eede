import os
import tempfile

import torch

# Page tests start the app's own runner: two workers keep the suite light on a two-core machine.
os.environ.setdefault("DLLAB_WORKERS", "2")
# A page test that opens the largest settings leaves its run behind; this bounds it.
os.environ.setdefault("DLLAB_JOB_TIMEOUT_S", "20")

# Saved progress goes to a database of the test run's own, never the user's.
os.environ.setdefault("DLLAB_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='dllab-test-')}/progress.sqlite")

# The models here are tiny: one thread is fastest, and it keeps parallel test runs fair.
torch.set_num_threads(1)
