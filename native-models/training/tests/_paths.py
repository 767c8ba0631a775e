import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(TESTS)
EVAL = os.path.join(os.path.dirname(TRAINING), "eval")
REPO = os.path.dirname(os.path.dirname(TRAINING))
REF = os.path.join(REPO, "test", "fixtures", "glide-reference")
for p in (TRAINING, EVAL):
    if p not in sys.path:
        sys.path.insert(0, p)
