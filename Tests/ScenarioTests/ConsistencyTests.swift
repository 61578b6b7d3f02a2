import EdgeWorld
import Foundation
import JSONConfig
import Scenario
import XCTest

/// Worlds that read well key by key but could not work as written: each is one error naming the
/// key to change, and each fix is accepted (docs/scenario.md).
final class ConsistencyTests: XCTestCase {
    /// One model, one edge site `a` with a WAN, a cloud, and a client group; `%SERVERS%`,
    /// `%SITE_A%` (extra keys of site a) and `%CLIENT%` (extra keys of the client) are filled in.
    static let base = """
        {"name": "w", "duration_s": 1,
         "models": [{"name": "m", "latency_ms": {"1": 5, "2": 7}}, {"name": "o", "latency_ms": {"1": 5}}],
         "sites": [{"name": "a", "wan": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 10} %SITE_A%},
                   {"name": "b", "wan": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 10}},
                   {"name": "cl", "kind": "cloud"}],
         "servers": [%SERVERS%],
         "clients": [{"name": "c", "fps": 10, "frame_bytes": 1000,
                      "network": {"uplink_mbps": 100, "downlink_mbps": 100} %CLIENT%}]}
        """

    func world(servers: String, siteA: String = "", client: String) -> String {
        Self.base.replacingOccurrences(of: "%SERVERS%", with: servers).replacingOccurrences(of: "%SITE_A%", with: siteA)
            .replacingOccurrences(of: "%CLIENT%", with: client)
    }

    func parse(_ text: String) throws -> Scenario { try Scenario.parse(text, file: "w.json") }

    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try parse(text)
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    let task = #", "tasks": [{"name": "t", "model": "m", "deadline_ms": 100}]"#

    func testATaskNeedsAServerThatHostsItsModel() throws {
        // The only server at the client's site hosts another model.
        var e = error(world(servers: #"{"name": "s", "site": "a", "models": ["o"]}"#, client: #", "site": "a""# + task))
        XCTAssertTrue(e.contains("clients[0].tasks[0]") && e.contains("site \"a\" has no server hosting it") && e.contains("no_server"), e)
        // A client bound to a server whose model list is empty.
        e = error(world(servers: #"{"name": "s", "site": "a", "models": []}"#, client: #", "server": "s", "model": "m", "deadline_ms": 100"#))
        XCTAssertTrue(e.contains("clients[0].model") && e.contains("server \"s\" does not host it (its models: none)"), e)
        // A site with no server at all, and a cloud split with no cloud server.
        e = error(world(servers: #"{"name": "s", "site": "a"}"#, client: #", "site": "b""# + task))
        XCTAssertTrue(e.contains("site \"b\" has no server hosting it"), e)
        e = error(world(servers: #"{"name": "s", "site": "a"}"#,
                        client: #", "site": "a", "tasks": [{"name": "t", "model": "m", "deadline_ms": 100, "split": "cloud"}]"#))
        XCTAssertTrue(e.contains("site \"cl\" has no server hosting it"), e)
        // Served somewhere it moves to: accepted, as the requests before the move are a choice.
        _ = try parse(world(servers: #"{"name": "s", "site": "a"}"#,
                            client: #", "site": "b", "mobility": [{"at_s": 0.5, "site": "a"}], "migration": {"state_bytes": 1}"# + task))
    }

    func testPoolsSplitTheServersGPUs() throws {
        let client = #", "server": "e/p", "model": "m", "deadline_ms": 100"#
        // Without counts each pool has one GPU, not the server's two each.
        let s = try parse(world(servers: #"{"name": "e", "site": "a", "gpus": 2, "pools": [{"name": "p"}, {"name": "q"}]}"#, client: client))
        XCTAssertEqual(s.spec.servers.map(\.gpus), [1, 1])
        let e = error(world(servers: #"{"name": "e", "site": "a", "gpus": 2, "pools": [{"name": "p", "gpus": 2}, {"name": "q", "gpus": 2}]}"#,
                            client: client))
        XCTAssertTrue(e.contains("servers[0].gpus: 2 GPUs, but the pools have 4"), e)
        // A pool may give unequal shares where the server gave equal ones.
        let m = try parse(world(servers: #"{"name": "e", "site": "a", "mps": 2, "pools": [{"name": "p", "mps_shares": [0.6, 0.4]}]}"#,
                                client: client))
        XCTAssertEqual(m.spec.servers[0].mpsShares, [0.6, 0.4])
    }

    func testAClientNamingACloudServerAttachesAtAnEdgeSite() throws {
        let s = try parse(world(servers: #"{"name": "s", "site": "cl"}"#, client: #", "server": "s", "model": "m", "deadline_ms": 100"#))
        XCTAssertEqual(s.spec.clients[0].site, 0, "the first edge site, whose WAN leads to the cloud")
        let b = try parse(world(servers: #"{"name": "s", "site": "b"}"#, client: #", "server": "s", "model": "m", "deadline_ms": 100"#))
        XCTAssertEqual(b.spec.clients[0].site, 1, "an edge server's own site")
    }

    func testPairedPoliciesNeedTheirPartners() throws {
        let arise = #"{"name": "arise", "sla": 0.5}"#
        var e = error(world(servers: #"{"name": "s", "site": "a", "policy": "arise"}"#, client: #", "site": "a""# + task))
        XCTAssertTrue(e.contains("servers[0].policy") && e.contains("needs admission \"arise\" at site \"a\""), e)
        e = error(world(servers: #"{"name": "s", "site": "a"}"#, client: #", "site": "a", "policy": "arise""# + task))
        XCTAssertTrue(e.contains("clients[0].policy") && e.contains("offload nothing"), e)
        e = error(world(servers: #"{"name": "s", "site": "a", "policy": "deeprt"}"#, client: #", "site": "a""# + task))
        XCTAssertTrue(e.contains("needs admission \"deeprt\""), e)
        // The baselines keep DeepRT's admission under another server policy, and ARISE's client runs with ARISE's admission.
        _ = try parse(world(servers: #"{"name": "s", "site": "a", "policy": "edf"}"#, siteA: #", "admission": "deeprt""#, client: #", "site": "a""# + task))
        _ = try parse(world(servers: #"{"name": "s", "site": "a", "policy": "arise"}"#, siteA: #", "admission": \#(arise)"#,
                            client: #", "site": "a", "policy": "arise""# + task))
        // Admission asks where the client is served: passing through a site without it, still
        // served from the first ("stay"), is fine; migrating to it is not.
        let servers = #"{"name": "s", "site": "a", "policy": "arise"}, {"name": "t", "site": "b"}"#
        let moving = #", "site": "a", "policy": "arise", "mobility": [{"at_s": 0.5, "site": "b"}]"#
        _ = try parse(world(servers: servers, siteA: #", "admission": \#(arise)"#, client: moving + task))
        e = error(world(servers: servers, siteA: #", "admission": \#(arise)"#, client: moving + #", "migration": {"state_bytes": 1}"# + task))
        XCTAssertTrue(e.contains("site \"b\" has none"), e)
    }

    func testAccuMONeedsTheReadingsItsDecisionsUse() throws {
        let tasks = #", "site": "a", "tasks": [{"name": "depth", "model": "m", "deadline_ms": 100}, {"name": "vo", "model": "o", "deadline_ms": 100}]"#
        let servers = #"{"name": "s", "site": "a"}"#
        var e = error(world(servers: servers, client: tasks + #", "policy": "accumo", "content_estimate": {}"#))
        XCTAssertTrue(e.contains("clients[0].policy") && e.contains("\"imu\" for VO's drop rate"), e)
        e = error(world(servers: servers, client: tasks + #", "policy": {"name": "accumo", "mode": "parallel"}"#))
        XCTAssertTrue(e.contains("\"content_estimate\" for depth's drop rate"), e)
        _ = try parse(world(servers: servers, client: tasks + #", "policy": {"name": "accumo", "mode": "parallel", "fallback": false}"#))
        _ = try parse(world(servers: servers, client: tasks + #", "policy": "accumo", "imu": {}, "content_estimate": {}"#))
    }

    func testGeneratedMotionRefusesTheFileFormsKeys() {
        let e = error(world(servers: #"{"name": "s", "site": "a"}"#,
                            client: #", "site": "a", "motion": {"mean_deg_s": 30, "format": "tum"}"# + task))
        XCTAssertTrue(e.contains("clients[0].motion.format") && e.contains("belongs to a trajectory file"), e)
    }
}
