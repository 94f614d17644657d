package io.snapcoherence.kube;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node endpoints over HTTP(S) on the loopback, as Charmed Kubernetes sets them up
 * (charmed-kubernetes/charm-lib-kubernetes-snaps, charms/kubernetes_snaps.py):
 * <ul>
 *   <li><b>kubelet</b> {@code http://127.0.0.1:10248/healthz}: {@code configure_kubelet} writes a
 *       KubeletConfiguration without {@code healthzPort}/{@code healthzBindAddress}, so Kubernetes' defaults hold
 *       (127.0.0.1:10248, plain HTTP, no authentication). Control-plane nodes run kubelet too.</li>
 *   <li><b>kube-apiserver</b> {@code https://127.0.0.1:6443/readyz}: {@code configure_apiserver} sets no
 *       {@code secure-port} (Kubernetes' default 6443), {@code anonymous-auth=false} and
 *       {@code client-ca-file=/root/cdk/ca.crt}, so the request authenticates with the client certificate
 *       {@code write_certificates} puts in {@code /root/cdk/client.crt} and {@code client.key} (the one the API
 *       server itself uses towards kubelets and as its proxy client, so signed by that CA); {@code /readyz} is open
 *       to any authenticated user (ClusterRole {@code system:public-info-viewer}). The server's certificate is
 *       verified against {@code /root/cdk/ca.crt} by its chain, not by name: its names are the control-plane
 *       charm's choice of the node's addresses, and on the node's own loopback a certificate signed by the
 *       cluster CA is the node's API server.</li>
 * </ul>
 * Both are asked with {@code ?verbose}, whose body lists each check ({@code [-]etcd failed: reason withheld}),
 * so an unhealthy answer names what failed. Every request has a connect and a request time limit; asking again
 * until healthy is bounded by the caller's {@code within}.
 */
public final class HttpNodeHealth implements NodeHealth {
    public static final URI READYZ = URI.create("https://127.0.0.1:6443/readyz?verbose");
    public static final URI HEALTHZ = URI.create("http://127.0.0.1:10248/healthz?verbose");
    public static final Path CERTIFICATES = Path.of("/root/cdk");
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** Between two asks of an endpoint that is not healthy yet (an API server starting takes seconds). */
    public static final Duration PAUSE = Duration.ofSeconds(2);
    /** A verbose answer lists a few dozen checks; more is not what was asked for. */
    static final int MAX_BODY = 64 * 1024;
    private static final Pattern FAILED_CHECK = Pattern.compile("(?m)^\\[-\\]([^\\s:]+) failed");

    private final URI readyz;
    private final URI healthz;
    private final Path certificates;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration pause;

    public HttpNodeHealth(URI readyz, URI healthz, Path certificates, Duration connectTimeout, Duration requestTimeout,
                          Duration pause) {
        this.readyz = readyz;
        this.healthz = healthz;
        this.certificates = certificates;
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.pause = pause;
    }

    /** The endpoints of the node the hook runs on. Nothing is read or opened until a check is asked for. */
    public static HttpNodeHealth onNode() {
        return new HttpNodeHealth(READYZ, HEALTHZ, CERTIFICATES, CONNECT_TIMEOUT, REQUEST_TIMEOUT, PAUSE);
    }

    @Override
    public Answer check(Endpoint endpoint, Duration within) {
        HttpClient client;
        try {
            client = client(endpoint);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            return new Answer.CannotCheck(endpoint == Endpoint.API_SERVER ? "client credentials under "
                    + certificates + ": " + e.getMessage() : e.getMessage());
        }
        Instant until = Instant.now().plus(within);
        while (true) {
            Answer answer = ask(client, endpoint);
            if (!answer.unhealthy() || !Instant.now().plus(pause).isBefore(until)) {
                return answer;
            }
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return answer;
            }
        }
    }

    private Answer ask(HttpClient client, Endpoint endpoint) {
        URI uri = endpoint == Endpoint.API_SERVER ? readyz : healthz;
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
        try {
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            String body;
            try (InputStream in = response.body()) {
                body = new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
            }
            int status = response.statusCode();
            if (status == 200) {
                return new Answer.Healthy();
            }
            if (status == 401 || status == 403) {
                return new Answer.CannotCheck("the API server refused the client credentials (" + status + ")");
            }
            return new Answer.Unhealthy(status, failedChecks(body));
        } catch (HttpConnectTimeoutException e) {
            return new Answer.NoAnswer(connectTimeout);
        } catch (HttpTimeoutException e) {
            return new Answer.NoAnswer(requestTimeout);
        } catch (SSLException e) {
            return new Answer.CannotCheck("TLS: " + rootMessage(e));
        } catch (ConnectException e) {
            return new Answer.Refused("connection refused");
        } catch (IOException e) {
            if (causedBy(e, SSLException.class)) {
                return new Answer.CannotCheck("TLS: " + rootMessage(e));
            }
            if (causedBy(e, ConnectException.class)) {
                return new Answer.Refused("connection refused");
            }
            return new Answer.Refused(rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer.NoAnswer(requestTimeout);
        }
    }

    /** The check names a verbose answer lists as failed, in its order. */
    static List<String> failedChecks(String body) {
        List<String> names = new ArrayList<>();
        Matcher m = FAILED_CHECK.matcher(body);
        while (m.find() && names.size() < 16) {
            names.add(m.group(1));
        }
        return names;
    }

    private HttpClient client(Endpoint endpoint) throws IOException, GeneralSecurityException {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
                .proxy(java.net.ProxySelector.of(null));
        if (endpoint == Endpoint.API_SERVER) {
            builder.sslContext(tls());
        }
        return builder.build();
    }

    /** Trusts the cluster CA only; presents the node's client certificate. */
    private SSLContext tls() throws IOException, GeneralSecurityException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        Collection<? extends Certificate> cas = certificates(x509, certificates.resolve("ca.crt"));
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (Certificate ca : cas) {
            trusted.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        X509ExtendedTrustManager chainOnly = new ChainOnly((X509ExtendedTrustManager) tmf.getTrustManagers()[0]);

        Collection<? extends Certificate> chain = certificates(x509, certificates.resolve("client.crt"));
        PrivateKey key = privateKey(Files.readString(certificates.resolve("client.key"), StandardCharsets.US_ASCII));
        KeyStore own = KeyStore.getInstance("PKCS12");
        own.load(null, null);
        char[] password = new char[0];
        own.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(own, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), new TrustManager[] {chainOnly}, null);
        return context;
    }

    private static Collection<? extends Certificate> certificates(CertificateFactory x509, Path file)
            throws IOException, CertificateException {
        Collection<? extends Certificate> found = x509.generateCertificates(
                new ByteArrayInputStream(Files.readAllBytes(file)));
        if (found.isEmpty()) {
            throw new CertificateException(file + " holds no certificate");
        }
        return found;
    }

    /**
     * A PEM private key: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or EC) or PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY},
     * what {@code openssl genrsa} wrote before OpenSSL 3). Other forms are refused by name.
     */
    static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        Matcher m = Pattern.compile("-----BEGIN ([A-Z ]*)PRIVATE KEY-----([^-]*)-----END \\1PRIVATE KEY-----")
                .matcher(pem);
        if (!m.find()) {
            throw new GeneralSecurityException("no PEM private key");
        }
        String kind = m.group(1).trim();
        byte[] der = Base64.getMimeDecoder().decode(m.group(2).trim());
        if (kind.equals("RSA")) {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8OfRsa(der)));
        }
        if (!kind.isEmpty()) {
            throw new GeneralSecurityException("unsupported private key format: " + kind + " PRIVATE KEY");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // the next algorithm
            }
        }
        throw new GeneralSecurityException("unreadable PKCS#8 private key");
    }

    /** PKCS#8 PrivateKeyInfo {0, {rsaEncryption, NULL}, OCTET STRING pkcs1} (RFC 5208, RFC 8017 A.1). */
    private static byte[] pkcs8OfRsa(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01,
                0x01, 0x01, 0x05, 0x00};
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(der(0x04, pkcs1));
        return der(0x30, body.toByteArray());
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write((n >>> (8 * i)) & 0xff);
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.length() <= 200 ? message : message.substring(0, 197) + "...";
    }

    /**
     * The cluster CA's chain check without a check of the server's name (see the class comment). An
     * {@link X509ExtendedTrustManager}, so that the TLS engine leaves the name to it.
     */
    private static final class ChainOnly extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager pkix;

        ChainOnly(X509ExtendedTrustManager pkix) {
            this.pkix = pkix;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }
}
