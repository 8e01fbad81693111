from __future__ import annotations

from rucket.cli import main

main()
