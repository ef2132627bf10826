from socialcare.cli import main

main()
