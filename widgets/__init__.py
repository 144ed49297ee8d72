"""Holding Space's screens: exercise components, the participant app shell, console views.

A theme notebook builds an exercise in one line, e.g. ``CheckIn(prompt="…")``.
"""

from .asking import IStatement, SpaceAgreement
from .checkin import CheckIn
from .feedback import Feedback
from .pause import Pause
from .pictures import ClosenessLine, LoopMap
from .reflect import BeliefRatings, PartnerNote, Reframe, StirsUp, StoryITellMyself, Takeaway
from .scenarios import SpaceOrNot
from .takehome import TakeHome

__all__ = [
    "BeliefRatings",
    "CheckIn",
    "ClosenessLine",
    "Feedback",
    "IStatement",
    "LoopMap",
    "PartnerNote",
    "Pause",
    "Reframe",
    "SpaceAgreement",
    "SpaceOrNot",
    "StirsUp",
    "StoryITellMyself",
    "TakeHome",
    "Takeaway",
]
