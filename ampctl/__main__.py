from ampctl.cli.app import main

main()
