import EdgeWorld
import JSONConfig
import Profiles
import XCTest

final class ProfileFormatTests: XCTestCase {
    func parse(_ text: String) throws -> Profile { try ProfileFile.parse(text, file: "p.json") }

    func error(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        precondition(sampleProfile.contains(old))
        do {
            _ = try parse(sampleProfile.replacingOccurrences(of: old, with: new))
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    func testReadsAndWritesTheSameProfile() throws {
        let p = try parse(sampleProfile)
        XCTAssertEqual(p.model, "tiny")
        XCTAssertEqual(p.layers.map(\.name), ["conv", "fc"])
        XCTAssertEqual(p.totalMeanUs(at: 2), 17)
        guard case .measured(let m) = p.provenance else { return XCTFail() }
        XCTAssertEqual(m.driver, "535.104")
        XCTAssertNil(m.tensorrt, "null means not recorded")
        let again = try parse(ProfileFile.json(p).text())
        XCTAssertEqual(ProfileFile.json(again).text(), ProfileFile.json(p).text(), "writing is stable")
        XCTAssertEqual(ProfileFile.fileName(p), "tiny.fp32.json")
    }

    /// A GPU or model named "." or ".." must not write into or above the output folder.
    func testFileNamesStayInTheirFolder() {
        XCTAssertEqual(ProfileFile.directoryName(gpu: ".."), "__")
        XCTAssertEqual(ProfileFile.directoryName(gpu: "."), "_")
        XCTAssertEqual(ProfileFile.directoryName(gpu: "../x"), ".._x")
        XCTAssertEqual(ProfileFile.directoryName(gpu: "T4"), "T4")
    }

    func testMalformedProfilesNameFileLineAndPath() {
        var e = error("\"mean_us\": [2, 3, 7]", "\"mean_us\": [2, 3]")
        XCTAssertEqual(e?.path, "layers[0].mean_us")
        XCTAssertEqual(e?.message, "expected 3 values, one per batch size, got 2")
        XCTAssertEqual(e?.position?.line, 15)
        XCTAssertTrue(e!.description.hasPrefix("p.json:15:"))

        e = error("\"batch_sizes\": [1, 2, 4]", "\"batch_sizes\": [1, 4, 2]")
        XCTAssertEqual(e?.message, "batch sizes must be strictly increasing, got [1, 4, 2]")

        e = error("\"driver\": \"535.104\", ", "")
        XCTAssertEqual(e?.path, "provenance")
        XCTAssertEqual(e?.message, "missing key \"driver\"; a measured profile records it, as null if the source did not")

        e = error("\"mean_us\": [10, 10, 10]", "\"mean_us\": [10, -1, 10]")
        XCTAssertEqual(e?.path, "layers[1].mean_us[1]")

        e = error("\"kind\": \"measured\"", "\"kind\": \"guessed\"")
        XCTAssertEqual(e?.path, "provenance.kind")

        e = error("\"output_bytes\": 40", "\"output_byte\": 40")
        XCTAssertEqual(e?.message, "unknown key; did you mean \"output_bytes\"?")
    }

    func testDerivedProfileMustNameItsSources() {
        let start = sampleProfile.range(of: "\"provenance\": {")!.lowerBound
        let end = sampleProfile.range(of: "\"layers\"")!.lowerBound
        let derived = String(sampleProfile[..<start]) + "\"provenance\": {\"kind\": \"derived\", \"from\": [], \"method\": \"made up\"},\n  "
            + String(sampleProfile[end...])
        XCTAssertNotEqual(derived, sampleProfile)
        XCTAssertThrowsError(try parse(derived)) { e in
            XCTAssertEqual((e as? ConfigError)?.message, "a derived profile names the measurements it comes from")
        }
    }
}

final class ProfileLatencyTests: XCTestCase {
    /// Layer "conv" is measured at 2, 3 and 7 µs for batches 1, 2 and 4. The least-squares line
    /// through (1, 2), (2, 3), (4, 7) is t = 12/7 · b (x̄ = 7/3, ȳ = 4, Sxx = 42/9, Sxy = 8), so
    /// batch 3 takes 36/7 µs; residuals −2/7, 3/7, −1/7. Layer "fc" is flat at 10 µs.
    func testInterpolatesBetweenProfiledSizesByPerLayerLeastSquares() throws {
        let p = try ProfileFile.parse(sampleProfile, file: "p.json")
        let fit = try ProfileLatency(profile: p)
        XCTAssertEqual(fit.table.batchSizes, [1, 2, 3, 4])
        XCTAssertEqual(fit.table.latency(batchSize: 2), 13_000, "profiled sizes keep their measured means")
        XCTAssertEqual(fit.table.latency(batchSize: 3), 5_143 + 10_000, "36/7 µs + 10 µs")
        XCTAssertNil(fit.table.latency(batchSize: 5), "no extrapolation beyond the largest profiled size")
        // RMS over both layers and three sizes: sqrt((2/7 + 0) / 6).
        XCTAssertEqual(fit.fitResidualUs!, (2.0 / 7 / 6).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(fit.worstLayerResidualUs!, (2.0 / 7 / 3).squareRoot(), accuracy: 1e-9)
    }

    func testLayerRangesSumTheirLayers() throws {
        let fit = try ProfileLatency(profile: ProfileFile.parse(sampleProfile, file: "p.json"))
        XCTAssertEqual(fit.table.layerCount, 2)
        XCTAssertEqual(fit.table.latency(batchSize: 4, layers: 0..<1), 7_000)
        XCTAssertEqual(fit.table.latency(batchSize: 4, layers: 1..<2), 10_000)
        XCTAssertEqual(fit.table.latency(batchSize: 4, layers: 0..<2), 17_000)
        XCTAssertEqual(fit.table.latency(batchSize: 4, layers: 1..<1), 0)
        XCTAssertNil(fit.table.latency(batchSize: 4, layers: 0..<3))
    }

    /// The layers' standard deviations add as independent: at batch 1, sqrt(0.3² + 0.4²) = 0.5 µs
    /// over a 12 µs mean.
    func testMeasuredSpreadIsTheLayersCombined() throws {
        let fit = try ProfileLatency(profile: ProfileFile.parse(sampleProfile, file: "p.json"))
        XCTAssertEqual(fit.table.spread(batchSize: 1)!, 0.5 / 12, accuracy: 1e-12)
        XCTAssertEqual(fit.table.spread(batchSize: 3)!, 0.5 / 13, accuracy: 1e-12, "between sizes: the one below")
    }
}

final class LeastSquaresTests: XCTestCase {
    /// y = 1 + 2x exactly, and an overdetermined noisy line whose normal equations give the answer.
    func testSolvesOverdeterminedSystems() throws {
        let exact = try LeastSquares.solve(a: [1, 0, 1, 1, 1, 2], rows: 3, columns: 2, b: [1, 3, 5])[0]
        XCTAssertEqual(exact[0], 1, accuracy: 1e-12)
        XCTAssertEqual(exact[1], 2, accuracy: 1e-12)
        // Points (0,1), (1,2), (2,2): slope = Sxy/Sxx = 1/2, intercept = 5/3 − 1/2 = 7/6.
        let noisy = try LeastSquares.solve(a: [1, 0, 1, 1, 1, 2], rows: 3, columns: 2, b: [1, 2, 2])[0]
        XCTAssertEqual(noisy[0], 7.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(noisy[1], 0.5, accuracy: 1e-12)
        XCTAssertThrowsError(try LeastSquares.solve(a: [1, 2], rows: 1, columns: 2, b: [1]))
    }

    /// Relative least squares of y = c·x on (1, 2) and (2, 2): minimise ((c−2)/2)² + ((2c−2)/2)²,
    /// so c = (2/2·1/2 + 2/2·2/2)... = Σ(x/y) / Σ(x/y)² = (1/2 + 1) / (1/4 + 1) = 1.2.
    func testRelativeLeastSquaresAndCalibration() throws {
        let c = try LeastSquares.relative(rows: [[1], [2]], targets: [2, 2])[0]
        XCTAssertEqual(c, 1.2, accuracy: 1e-12)
        XCTAssertEqual(CostModel.calibrate(predicted: [1, 2], measured: [2, 2]), 1.2, accuracy: 1e-12)
    }

    func testErrorSummaryQuantilesInterpolateLikeNumpy() {
        let s = ErrorSummary([5, 1, 4, 2, 3])
        XCTAssertEqual(s.median, 3)
        XCTAssertEqual(s.p90, 4.6, accuracy: 1e-12)
        XCTAssertEqual(s.count, 5)
    }
}

final class ProfileLibraryTests: XCTestCase {
    func testFindsProfilesByFileNameAndChecksTheirContent() throws {
        let first = try temporaryDirectory(), second = try temporaryDirectory()
        let p = try ProfileFile.parse(sampleProfile, file: "p.json")
        try ProfileFile.write(p, under: first)
        var other = p
        other.layers[0].meanUs = [1, 1, 1]
        try ProfileFile.write(other, under: second)
        let library = ProfileLibrary(roots: [first, second])
        XCTAssertEqual(library.entries.count, 1, "the first folder's profile hides the second's")
        let key = ProfileLibrary.Key(gpu: "T4", model: "tiny", precision: "fp32")
        XCTAssertEqual(try library.load(key)?.layers[0].meanUs, [2, 3, 7])
        XCTAssertEqual(library.gpus(for: "tiny", precision: "fp32"), ["T4"])
        XCTAssertNil(try library.load(.init(gpu: "A10", model: "tiny", precision: "fp32")))

        // A file whose name lies about its content is an error naming both.
        let wrong = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: wrong + "/A10", withIntermediateDirectories: true)
        try ProfileFile.json(p).text().write(toFile: wrong + "/A10/tiny.fp32.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProfileLibrary(roots: [wrong]).load(.init(gpu: "A10", model: "tiny", precision: "fp32"))) { e in
            XCTAssertTrue("\(e)".contains("the file name says tiny on A10 (fp32) but the file holds tiny on T4 (fp32)"), "\(e)")
        }
    }

    func testMPSLevelIsPartOfTheName() throws {
        var p = try ProfileFile.parse(sampleProfile, file: "p.json")
        p.mpsShare = 0.25
        XCTAssertEqual(ProfileFile.fileName(p), "tiny.fp32.mps4.json")
        let dir = try temporaryDirectory()
        try ProfileFile.write(p, under: dir)
        let key = ProfileLibrary.Key(gpu: "T4", model: "tiny", precision: "fp32", mpsLevel: 4)
        XCTAssertEqual(try ProfileLibrary(roots: [dir]).load(key)?.mpsShare, 0.25)
    }

    /// torch's ONNX export names scopes by full path or by local name; both map to the module.
    func testONNXNodeNamesMapToModulePaths() {
        XCTAssertEqual(PPipeArtifact.modulePath(ofNode: "/conv1/Conv").path, "conv1")
        XCTAssertEqual(PPipeArtifact.modulePath(ofNode: "/layer1/layer1.0/conv1/Conv").path, "layer1.0.conv1")
        XCTAssertEqual(PPipeArtifact.modulePath(ofNode: "/layer1/layer1.0/downsample/downsample.0/Conv").path, "layer1.0.downsample.0")
        XCTAssertEqual(PPipeArtifact.modulePath(ofNode: "/features/features.1/features.1.0/block/block.0/Conv").path, "features.1.0.block.0")
        XCTAssertEqual(PPipeArtifact.modulePath(ofNode: "/fc/Gemm").op, "Gemm")
    }
}
