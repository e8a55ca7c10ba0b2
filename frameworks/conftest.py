"""pytest setup shared by every framework's payload tests: the common helpers on the path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_common"))
