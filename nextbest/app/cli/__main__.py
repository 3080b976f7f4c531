from nextbest.app.cli import main

main()
