// swift-tools-version: 6.0
import PackageDescription

// Modules follow the data flow: the kernel knows nothing of AR; the world (clients, links,
// servers) runs on it; policies plug into the world; a scenario file describes a world; the
// runner drives it and the results store keeps what it measured; the workbench runs many (sweeps,
// capacity searches, regression checks); `arsim` is the command.
// Cross-module optimisation for the modules the run loop spends its time in: the world's hot calls
// cross module lines (the run loop in `arsim` calls into `EdgeWorld`, the policies into its
// queues), and this lets the Swift optimiser inline and specialise them there. The Makefile's
// release builds add whole-program LTO. Measured in docs/performance.md ("Whole-program
// optimisation"): on top of LTO, 1.015x (1.01-1.04) at 1,000 clients of the scale world and
// within the noise at 10,000.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"])]

let package = Package(
    name: "arsim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "arsim", targets: ["arsim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // System libraries, installed by `make` through apt (libsqlite3-dev).
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLapack", providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        // GLPK, for IPIPE's MILPs only: no other module links it.
        .systemLibrary(name: "CGLPK", providers: [.apt(["libglpk-dev"])]),
        // zlib, for traces written as .json.gz.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // A header-only prefetch hint for the world's hot path (nothing to install or link).
        .systemLibrary(name: "CPrefetch"),

        .target(name: "SimKernel", dependencies: ["CPrefetch"], swiftSettings: crossModule),
        .target(name: "JSONConfig"),
        .target(name: "EdgeWorld", dependencies: [
            "CPrefetch", "SimKernel",
            .product(name: "DequeModule", package: "swift-collections"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: crossModule),
        .target(name: "Profiles", dependencies: ["CLapack", "EdgeWorld", "JSONConfig", "SimKernel"]),
        .target(name: "Policies", dependencies: ["EdgeWorld", "JSONConfig", "SimKernel"], exclude: ["IPIPE"], swiftSettings: crossModule),
        // IPIPE (issue 14) is a folder of Sources/Policies like the other seed systems, but its own
        // module: it is the one that links a MILP solver.
        .target(name: "IPIPE", dependencies: ["CGLPK", "EdgeWorld", "JSONConfig", "Profiles", "SimKernel"], path: "Sources/Policies/IPIPE"),
        .target(name: "Traces", dependencies: ["EdgeWorld", "JSONConfig", "SimKernel"]),
        .target(name: "Scenario", dependencies: ["EdgeWorld", "JSONConfig", "Policies", "Profiles", "SimKernel", "Traces"]),
        .target(name: "ResultsStore", dependencies: ["CSQLite", "EdgeWorld", "JSONConfig"]),
        .target(name: "Runner", dependencies: ["CZlib", "EdgeWorld", "JSONConfig", "ResultsStore", "Scenario", "SimKernel"]),
        .target(name: "Workbench", dependencies: ["EdgeWorld", "IPIPE", "JSONConfig", "ResultsStore", "Runner", "Scenario"]),
        .target(name: "Benchmarks", dependencies: ["EdgeWorld", "Policies", "SimKernel"]),
        // PHOLD on std::priority_queue, compiled at -O2: the yardstick of `arsim bench --only phold`.
        .target(name: "CPHOLDReference", cxxSettings: [.unsafeFlags(["-O2", "-gdwarf-4"])]),
        .executableTarget(name: "arsim", dependencies: [
            "Benchmarks", "CPHOLDReference", "EdgeWorld", "IPIPE", "JSONConfig", "Profiles", "ResultsStore", "Runner", "Scenario", "SimKernel", "Workbench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "SimKernelTests", dependencies: ["SimKernel"]),
        .testTarget(name: "IPIPETests", dependencies: ["IPIPE", "Profiles", "JSONConfig", "SimKernel"]),
        .testTarget(name: "ProfilesTests", dependencies: ["Profiles", "EdgeWorld", "JSONConfig", "SimKernel"]),
        .testTarget(name: "EdgeWorldTests", dependencies: ["EdgeWorld", "JSONConfig", "Policies", "SimKernel",
                                                     .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario", "JSONConfig", "EdgeWorld", "Policies"]),
        .testTarget(name: "TracesTests", dependencies: ["Traces", "EdgeWorld", "JSONConfig", "SimKernel"]),
        .testTarget(name: "ResultsStoreTests", dependencies: ["ResultsStore", "Runner", "Scenario", "EdgeWorld", "SimKernel"]),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "ResultsStore", "Runner", "Scenario", "JSONConfig"]),
        .testTarget(name: "CLITests", dependencies: ["arsim"]),
    ]
)
