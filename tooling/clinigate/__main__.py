from clinigate.cli.main import main

main()
