from __future__ import annotations

from leakguard.cli import main

raise SystemExit(main())
