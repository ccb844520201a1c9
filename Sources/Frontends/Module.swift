/// The SluiceFrontends module: see DESIGN.md for what it owns.
public enum SluiceFrontendsModule {}
