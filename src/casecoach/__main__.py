from casecoach.cli import main

main()
