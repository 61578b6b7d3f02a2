import Foundation
import JSONConfig
import XCTest

final class FilePathTests: XCTestCase {
    /// What `NSString.deletingLastPathComponent` gives, including the one-character paths on
    /// which it traps.
    func testFolderOfAPath() {
        let cases: [(String, String)] = [
            ("a", ""), ("-", ""), (".", ""), ("/", "/"), ("", ""), ("a/", ""), ("/a", "/"), ("ab", ""),
            ("a/b", "a"), ("a/b/", "a"), ("a//b", "a"), ("/x/y/z.json", "/x/y"), ("./t", "."), ("../s.json", ".."),
        ]
        for (path, folder) in cases { XCTAssertEqual(FilePath.folder(of: path), folder, path) }
        // A '/' followed by a combining mark is one character to Swift but still a separator.
        XCTAssertEqual(FilePath.folder(of: "d/\u{301}q"), "d")
        // Where Foundation does not trap, the two agree (but for "//", where it gives "").
        for path in ["ab", "a/b", "a/b/", "a//b", "/x/y/z.json", "./t", "../s.json", "/ab", "ab/cd//"] {
            XCTAssertEqual(FilePath.folder(of: path), (path as NSString).deletingLastPathComponent, path)
        }
    }
}
