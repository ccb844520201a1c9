/// The SluiceBackend module: see DESIGN.md for what it owns.
public enum SluiceBackendModule {}
