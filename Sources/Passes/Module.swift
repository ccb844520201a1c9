/// The SluicePasses module: see DESIGN.md for what it owns.
public enum SluicePassesModule {}
