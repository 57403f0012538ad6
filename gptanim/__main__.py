import sys

from gptanim.cli import main

sys.exit(main())
