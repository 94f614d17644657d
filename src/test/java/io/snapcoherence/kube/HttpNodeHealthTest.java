package io.snapcoherence.kube;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.snapcoherence.kube.NodeHealth.Answer;
import io.snapcoherence.kube.NodeHealth.Endpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HttpNodeHealth} against servers these tests start on the loopback, answering as the real endpoints do:
 * Kubernetes' healthz handler (staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go, handleRootHealth) answers
 * 200 with {@code [+]name ok} lines and {@code <path> check passed} in verbose mode, and on a failed check 500 with
 * {@code [-]name failed: reason withheld} and {@code <path> check failed}. The API server's listener needs a client
 * certificate signed by the cluster CA (anonymous-auth=false, client-ca-file; certificates made here with the JDK's
 * keytool); the kubelet's healthz is plain HTTP.
 */
class HttpNodeHealthTest {
    private static final String PASS = "changeit";
    private static final String VERBOSE_OK = "[+]ping ok\n[+]log ok\n[+]etcd ok\nreadyz check passed\n";
    private static final String VERBOSE_ETCD_FAILED = "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n"
            + "[+]informer-sync ok\n[-]poststarthook/rbac/bootstrap-roles failed: reason withheld\n"
            + "readyz check failed\n";
    /**
     * Limits for servers that answer: generous, so that a first TLS handshake on a loaded machine is not taken for
     * silence (the limits are the caller's; only the silent server's test needs a short one).
     */
    private static final Duration ANSWERS = Duration.ofSeconds(10);

    @TempDir
    static Path pki;
    /** The node's /root/cdk: ca.crt, client.crt, client.key. */
    static Path cdk;
    static SSLContext apiServerTls;
    static SSLContext rogueTls;
    static PrivateKey clientKey;

    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=test-cluster-ca",
                "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.crt");
        signed("server", "CN=kube-apiserver", "san=dns:kubernetes.default"); // no 127.0.0.1: not checked by name
        signed("client", "CN=system:kube-apiserver", null);
        keytool("-genkeypair", "-alias", "rogue", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=rogue",
                "-validity", "2", "-keystore", "rogue.p12");

        cdk = Files.createDirectories(pki.resolve("cdk"));
        Files.copy(pki.resolve("ca.crt"), cdk.resolve("ca.crt"));
        KeyStore client = load("client.p12");
        clientKey = (PrivateKey) client.getKey("client", PASS.toCharArray());
        Files.writeString(cdk.resolve("client.key"), pem("PRIVATE KEY", clientKey.getEncoded()));
        StringBuilder chain = new StringBuilder();
        for (Certificate c : client.getCertificateChain("client")) {
            chain.append(pem("CERTIFICATE", c.getEncoded()));
        }
        Files.writeString(cdk.resolve("client.crt"), chain);

        apiServerTls = serverTls("server.p12");
        rogueTls = serverTls("rogue.p12");
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable s : servers) {
            s.close();
        }
    }

    @Test
    void aHealthyKubeletIsHealthy() throws IOException {
        URI healthz = kubelet(200, "[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n");
        assertThat(health(ANSWERS, healthz).check(Endpoint.KUBELET, Duration.ZERO)).isEqualTo(new Answer.Healthy());
    }

    @Test
    void aFailingKubeletNamesItsFailedChecks() throws IOException {
        URI healthz = kubelet(500, "[+]ping ok\n[+]log ok\n[-]syncloop failed: reason withheld\n"
                + "healthz check failed\n");
        Answer answer = health(ANSWERS, healthz).check(Endpoint.KUBELET, Duration.ZERO);
        assertThat(answer).isEqualTo(new Answer.Unhealthy(500, List.of("syncloop")));
        assertThat(answer.unhealthy()).isTrue();
        assertThat(answer.describe(Endpoint.KUBELET)).isEqualTo("/healthz 500: [-]syncloop failed");
    }

    @Test
    void anEndpointThatAcceptsAndNeverAnswersIsNoAnswerWithinTheRequestLimit() throws IOException {
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    held.add(silent.accept()); // accepted, read from never, answered never
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        servers.add(silent);
        long start = System.nanoTime();
        Answer answer = health(Duration.ofMillis(300), URI.create("http://127.0.0.1:" + silent.getLocalPort()
                + "/healthz?verbose")).check(Endpoint.KUBELET, Duration.ZERO);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(answer).isInstanceOf(Answer.NoAnswer.class);
        assertThat(answer.unhealthy()).isTrue();
        assertThat(took).isLessThan(Duration.ofSeconds(5)); // the 300 ms limit fired, not some default
        assertThat(answer.describe(Endpoint.KUBELET)).isEqualTo("/healthz no answer within 0.3 s");
    }

    @Test
    void aClosedPortIsRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Answer answer = health(ANSWERS, URI.create("http://127.0.0.1:" + port + "/healthz?verbose"))
                .check(Endpoint.KUBELET, Duration.ZERO);
        assertThat(answer).isEqualTo(new Answer.Refused("connection refused"));
        assertThat(answer.unhealthy()).isTrue();
    }

    @Test
    void withinAllowsAskingAgainUntilHealthyAndNoMore() throws IOException {
        AtomicInteger asked = new AtomicInteger();
        URI healthz = kubelet(() -> asked.incrementAndGet() <= 2 ? 500 : 200, "[-]syncloop failed: reason withheld\n");
        assertThat(health(ANSWERS, healthz).check(Endpoint.KUBELET, Duration.ofSeconds(10)))
                .isEqualTo(new Answer.Healthy());
        assertThat(asked).hasValue(3);

        asked.set(0);
        assertThat(health(ANSWERS, healthz).check(Endpoint.KUBELET, Duration.ZERO)).isInstanceOf(Answer.Unhealthy.class);
        assertThat(asked).hasValue(1);
    }

    @Test
    void theApiServerIsAskedWithTheNodesClientCertificateAndTrustedByTheClusterCa() throws IOException {
        AtomicReference<String> client = new AtomicReference<>();
        URI readyz = apiServer(apiServerTls, 200, VERBOSE_OK, client);
        assertThat(health(ANSWERS, readyz).check(Endpoint.API_SERVER, Duration.ZERO)).isEqualTo(new Answer.Healthy());
        assertThat(client.get()).isEqualTo("CN=system:kube-apiserver");
    }

    @Test
    void anApiServerNotReadyNamesTheFailedChecks() throws IOException {
        URI readyz = apiServer(apiServerTls, 500, VERBOSE_ETCD_FAILED, new AtomicReference<>());
        Answer answer = health(ANSWERS, readyz).check(Endpoint.API_SERVER, Duration.ZERO);
        assertThat(answer).isEqualTo(new Answer.Unhealthy(500,
                List.of("etcd", "poststarthook/rbac/bootstrap-roles")));
        assertThat(answer.describe(Endpoint.API_SERVER))
                .isEqualTo("/readyz 500: [-]etcd failed, [-]poststarthook/rbac/bootstrap-roles failed");
    }

    @Test
    void aServerNotSignedByTheClusterCaCannotBeChecked() throws IOException {
        URI readyz = apiServer(rogueTls, 200, VERBOSE_OK, new AtomicReference<>());
        Answer answer = health(ANSWERS, readyz).check(Endpoint.API_SERVER, Duration.ofSeconds(5));
        assertThat(answer).isInstanceOf(Answer.CannotCheck.class);
        assertThat(answer.unhealthy()).isFalse();
        assertThat(answer.describe(Endpoint.API_SERVER)).startsWith("cannot check /readyz: TLS: ");
    }

    @Test
    void refusedCredentialsAreNotTheNodesFault() throws IOException {
        URI readyz = apiServer(apiServerTls, 401, "{\"kind\":\"Status\",\"reason\":\"Unauthorized\"}",
                new AtomicReference<>());
        assertThat(health(ANSWERS, readyz).check(Endpoint.API_SERVER, Duration.ZERO)).isEqualTo(
                new Answer.CannotCheck("the API server refused the client credentials (401)"));
    }

    @Test
    void missingCredentialsCannotBeChecked() throws IOException {
        URI readyz = apiServer(apiServerTls, 200, VERBOSE_OK, new AtomicReference<>());
        Path empty = Files.createDirectories(pki.resolve("empty"));
        Answer answer = new HttpNodeHealth(readyz, readyz, empty, ANSWERS, ANSWERS, Duration.ofMillis(20))
                .check(Endpoint.API_SERVER, Duration.ZERO);
        assertThat(answer).isInstanceOf(Answer.CannotCheck.class);
        assertThat(answer.describe(Endpoint.API_SERVER)).startsWith("cannot check /readyz: client credentials under "
                + empty);
    }

    @Test
    void readsPkcs1AndPkcs8RsaKeysAndRefusesOthersByName() throws Exception {
        byte[] pkcs8 = clientKey.getEncoded();
        // An RSA PrivateKeyInfo is a 26-byte header (version, rsaEncryption, the octet string's tag and length)
        // around the PKCS#1 RSAPrivateKey.
        byte[] pkcs1 = Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
        assertThat(HttpNodeHealth.privateKey(pem("RSA PRIVATE KEY", pkcs1)).getEncoded()).isEqualTo(pkcs8);
        assertThat(HttpNodeHealth.privateKey(pem("PRIVATE KEY", pkcs8)).getEncoded()).isEqualTo(pkcs8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpNodeHealth.privateKey(pem("EC PRIVATE KEY",
                new byte[] {1, 2, 3}))).hasMessage("unsupported private key format: EC PRIVATE KEY");
    }

    @Test
    void failedChecksAreReadFromTheVerboseBody() {
        assertThat(HttpNodeHealth.failedChecks(VERBOSE_ETCD_FAILED))
                .containsExactly("etcd", "poststarthook/rbac/bootstrap-roles");
        assertThat(HttpNodeHealth.failedChecks("Internal Server Error")).isEmpty();
    }

    // ---- servers --------------------------------------------------------------------------------------------

    private HttpNodeHealth health(Duration requestTimeout, URI uri) {
        return new HttpNodeHealth(uri, uri, cdk, ANSWERS, requestTimeout, Duration.ofMillis(20));
    }

    private URI kubelet(int status, String body) throws IOException {
        return kubelet(() -> status, body);
    }

    private URI kubelet(java.util.function.IntSupplier status, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/healthz", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.getAsInt(), bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        servers.add(() -> server.stop(0));
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/healthz?verbose");
    }

    private URI apiServer(SSLContext tls, int status, String body, AtomicReference<String> client)
            throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = getSSLContext().getDefaultSSLParameters();
                p.setNeedClientAuth(true); // anonymous-auth=false: no certificate, no answer
                params.setSSLParameters(p);
            }
        });
        server.createContext("/readyz", exchange -> {
            SSLSession session = ((com.sun.net.httpserver.HttpsExchange) exchange).getSSLSession();
            client.set(((java.security.cert.X509Certificate) session.getPeerCertificates()[0])
                    .getSubjectX500Principal().getName());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        servers.add(() -> server.stop(0));
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/readyz?verbose");
    }

    // ---- certificates ---------------------------------------------------------------------------------------

    private static void signed(String name, String dname, String ext) throws Exception {
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", dname,
                "-validity", "2", "-keystore", name + ".p12");
        keytool("-certreq", "-alias", name, "-keystore", name + ".p12", "-file", name + ".csr");
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile",
                name + ".csr", "-outfile", name + ".crt", "-rfc", "-validity", "2"));
        if (ext != null) {
            gencert.addAll(List.of("-ext", ext));
        }
        keytool(gencert.toArray(new String[0]));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt", "-keystore", name + ".p12");
        keytool("-importcert", "-alias", name, "-file", name + ".crt", "-keystore", name + ".p12");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool")
                .toString()));
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC")); // a short run: start fast
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS));
        Process p = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + output);
        }
    }

    private static KeyStore load(String file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(pki.resolve(file).toFile())) {
            ks.load(in, PASS.toCharArray());
        }
        return ks;
    }

    private static SSLContext serverTls(String keystore) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keystore), PASS.toCharArray());
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", load("ca.p12").getCertificate("ca"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static String pem(String kind, byte[] der) {
        return "-----BEGIN " + kind + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + kind + "-----\n";
    }
}
