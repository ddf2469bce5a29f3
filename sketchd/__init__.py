"""sketchd: a pencil-sketch virtual webcam."""

import time as _time

# when sketchd began to load: start-up times in the log count from here
STARTED = _time.monotonic()

__version__ = "0.1.0"
