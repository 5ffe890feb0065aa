from calmflow.cli import main

main()
