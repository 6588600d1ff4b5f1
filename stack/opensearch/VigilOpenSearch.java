// The local stack's single OpenSearch node, started by scripts/stack.mts with Java's source launcher:
//   java -cp '.cache/opensearch/<version>/libs/*' stack/opensearch/VigilOpenSearch.java <home> <http port> <transport port>
// It wraps CodeLibs' OpenSearchRunner (one node, single-node discovery, modules from the classpath) and, unlike the
// runner's own main, prints why a start failed and exits non-zero, binds to loopback only, and lets the node run on a
// nearly full disk (a development node must not turn read-only because the machine's disk is 90% used).
import org.codelibs.opensearch.runner.OpenSearchRunner;

public final class VigilOpenSearch {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: VigilOpenSearch <home directory> <http port> <transport port>");
      System.exit(2);
    }
    final String home = args[0];
    final String httpPort = args[1];
    final String transportPort = args[2];
    final OpenSearchRunner runner = new OpenSearchRunner();
    // The runner looks for a free port between the base and 9299; the stack chooses the port itself.
    runner.setMaxHttpPort(-1);
    runner.onBuild((number, settings) -> {
      settings.put("network.host", "127.0.0.1");
      settings.put("http.port", httpPort);
      settings.put("transport.port", transportPort);
      settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
      settings.put("action.auto_create_index", true);
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        runner.close();
      } catch (Exception e) {
        System.err.println("closing the node failed: " + e);
      }
    }));
    try {
      runner.build(OpenSearchRunner.newConfigs().basePath(home).numOfNode(1).clusterName("vigil-local").baseHttpPort(Integer.parseInt(httpPort) - 1));
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    }
    System.out.println("OpenSearch node started on http://127.0.0.1:" + httpPort);
    while (!runner.isClosed()) Thread.sleep(5000);
  }
}
