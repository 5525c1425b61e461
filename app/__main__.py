"""``python -m app`` is the ``arena`` command (tests start servers this way)."""

from app.entry import main

main()
