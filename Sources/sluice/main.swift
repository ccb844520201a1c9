import ArgumentParser
SluiceCommand.main()
