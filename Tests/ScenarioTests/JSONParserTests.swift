import Foundation
import JSONConfig
import XCTest

final class JSONParserTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    func testScalarsAndPositions() throws {
        let v = try parse("{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\": \"x\"\n}")
        guard case .object(let o) = v.kind, case .array(let items)? = o["a"]?.kind else { return XCTFail() }
        XCTAssertEqual(o.keys, ["a", "b"], "members keep document order")
        XCTAssertEqual(items[1].position, SourcePosition(line: 2, column: 12))
        guard case .number(let n) = items[1].kind else { return XCTFail() }
        XCTAssertEqual(n.double, -2500)
        XCTAssertNil(n.int64, "a number with an exponent is not an integer")
        XCTAssertEqual(o["b"]?.position, SourcePosition(line: 3, column: 8))
    }

    /// Lone CRs end lines (old Mac files), CR LF counts once.
    func testCROnlyAndCRLFLineEndsCountLines() throws {
        guard case .object(let o) = try parse("{\r\"a\": 1,\r\n\"b\": 2}").kind else { return XCTFail() }
        XCTAssertEqual(o["a"]?.position, SourcePosition(line: 2, column: 6))
        XCTAssertEqual(o["b"]?.position, SourcePosition(line: 3, column: 6))
    }

    /// A file that is not UTF-8, or a folder given as a file, is one error that says so, with the
    /// line and column of the first bad byte.
    func testUnreadableInputsSayWhy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-input-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        XCTAssertThrowsError(try InputFile.text(dir, what: "the scenario")) { e in
            XCTAssertEqual((e as? ConfigError)?.message, "cannot read the scenario: this is a folder, not a file")
        }
        let file = dir + "/latin1.json"
        try Data("{\"name\":\n  \"caf".utf8 + [0xE9] + Data("\"}".utf8)).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try InputFile.text(file, what: "the scenario")) { e in
            XCTAssertEqual((e as? ConfigError)?.description, "\(file):2:7: cannot read the scenario: not UTF-8 text (save the file as UTF-8)")
        }
    }

    func testLargeIntegersSurviveExactly() throws {
        guard case .number(let n) = try parse("18446744073709551615").kind else { return XCTFail() }
        XCTAssertEqual(n.uint64, UInt64.max)
    }

    func testStringEscapes() throws {
        guard case .string(let s) = try parse(#""a\"b\\c\/\n\u00e9\ud83d\ude00""#).kind else { return XCTFail() }
        XCTAssertEqual(s, "a\"b\\c/\né😀")
    }

    func testRejectsWhatRFC8259Rejects() {
        for bad in ["[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "[1 2]", "tru", "{\"a\":1}x", "\"a\nb\"", "", "\"\\ud800\""] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }

    func testErrorPositionPointsAtTheProblem() {
        XCTAssertThrowsError(try parse("[1,\n 2,\n x]")) { e in
            let error = e as! JSONParser.SyntaxError
            XCTAssertEqual(error.position, SourcePosition(line: 3, column: 2))
        }
    }

    func testEditDistanceAndSuggestion() {
        XCTAssertEqual(Suggestion.editDistance("fsp", "fps"), 1, "a transposition is one edit")
        XCTAssertEqual(Suggestion.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Suggestion.nearest("uplink_mpbs", in: ["uplink_mbps", "downlink_mbps", "delay_ms"]), "uplink_mbps")
        XCTAssertNil(Suggestion.nearest("colour", in: ["name", "gpus"]))
    }
}
