from sketchd.cli import main

raise SystemExit(main())
