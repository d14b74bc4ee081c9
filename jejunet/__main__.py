import sys

from jejunet.cli.main import main

sys.exit(main())
