// One import for people who embed the runtime: `import Sluice`.
@_exported import SluiceGraph
@_exported import SluicePasses
@_exported import SluiceFrontends
@_exported import SluiceBackend
