"""Test-wide settings, for every layer including nbval over notebooks/.

HOLDING_SPACE_STRICT makes the participant app raise when its content cannot be built, instead of
showing participants the friendly "not ready" notice, so a broken notebook fails nbval. Servers
started by the tests run without it, as a facilitator's would.
"""

import os

os.environ.setdefault("HOLDING_SPACE_STRICT", "1")
