from pluralbench.cli import main

raise SystemExit(main())
