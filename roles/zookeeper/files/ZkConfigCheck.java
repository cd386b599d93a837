// Parses a zoo.cfg with ZooKeeper's own QuorumPeerConfig (as the server does at start) and
// exits non-zero with the parser's message when it is refused. Installed by forge-monitoring
// and run as `java -cp <zookeeper.jar:slf4j-api.jar> ZkConfigCheck.java <file>` (Java source launcher).
public class ZkConfigCheck {
    public static void main(String[] args) {
        org.apache.zookeeper.server.quorum.QuorumPeerConfig config = new org.apache.zookeeper.server.quorum.QuorumPeerConfig();
        try {
            config.parse(args[0]);
        } catch (Exception e) {
            Throwable cause = e.getCause();
            System.err.println(args[0] + ": " + e.getMessage() + (cause != null ? ": " + cause.getMessage() : ""));
            System.exit(1);
        }
        int servers = config.getServers() == null ? 0 : config.getServers().size();
        System.out.println("ok: " + servers + " server(s), dataDir " + config.getDataDir());
    }
}
