"""The kit's Voila: Voila's own application, plus gzip and a cap on participants.

- Voila applies ``tornado_settings`` after it has built its Tornado application, too late for
  ``compress_response`` (Tornado adds the gzip transform while building the application); this
  subclass adds the transform itself.
- ``max_participants`` caps the kernels in use: past it, a newcomer gets a short "the room is
  full" page instead of a kernel that would slow everyone down.

    python -m workshop.serving.voila_app NOTEBOOK [Voila options]
"""

from __future__ import annotations

import tornado.web
from tornado.web import GZipContentEncoding
from traitlets import Integer
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from .auth import friendly_page


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler, which first checks that the room has a free place."""

    @tornado.web.authenticated
    async def get(self, path=None):
        cap = self.settings.get("holding_space_max_participants") or 0
        if cap and not path:
            in_use = self._kernels_in_use()
            if in_use >= cap:
                self.set_status(503)
                self.set_header("Content-Type", "text/html; charset=UTF-8")
                self.set_header("Cache-Control", "no-store")
                self.log.warning("the room is full (%s participants); a newcomer was asked to wait", in_use)
                self.finish(friendly_page("room_full_title", "room_full_body"))
                return
        await super().get(path)

    def _kernels_in_use(self) -> int:
        """Live kernels that are not waiting, warm, in the pool (Voila 0.5 keeps them in ``_pools``)."""
        manager = self.kernel_manager
        pooled = set()
        for entry in getattr(manager, "_pools", {}).get(self.notebook_path, []):
            if entry.done() and not entry.cancelled() and entry.exception() is None:
                pooled.add(entry.result()["kernel_id"])
        return len(set(manager.list_kernel_ids()) - pooled)


class HoldingSpaceVoila(Voila):
    """Voila with gzip (a phone's first visit downloads a third of the bytes) and a participant cap."""

    max_participants = Integer(0, config=True, help="Kernels in use at most (0: no cap).")

    def init_handlers(self) -> list:
        return [
            (pattern, CappedVoilaHandler, *rest) if handler is TornadoVoilaHandler else (pattern, handler, *rest)
            for pattern, handler, *rest in super().init_handlers()
        ]

    def listen(self) -> None:
        if GZipContentEncoding not in self.app.transforms:
            self.app.add_transform(GZipContentEncoding)
        self.app.settings["holding_space_max_participants"] = self.max_participants
        super().listen()


main = HoldingSpaceVoila.launch_instance

if __name__ == "__main__":
    main()
