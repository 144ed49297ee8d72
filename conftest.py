"""Test-wide settings, for every layer including nbval over notebooks/.

HOLDING_SPACE_STRICT makes the participant app raise when its content cannot be built, instead of
showing participants the friendly "not ready" notice, so a broken notebook fails nbval. Servers
started by the tests run without it, as a facilitator's would. HOLDING_SPACE_DATA points every
test at a throw-away data folder.
"""

import os
import tempfile

os.environ.setdefault("HOLDING_SPACE_STRICT", "1")
# the tests (and notebooks run by nbval) never touch a facilitator's real data folder
os.environ.setdefault("HOLDING_SPACE_DATA", tempfile.mkdtemp(prefix="holding-space-test-data-"))
