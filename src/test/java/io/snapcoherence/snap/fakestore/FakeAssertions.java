package io.snapcoherence.snap.fakestore;

/**
 * Assertion streams shaped like a Snap Store Proxy's: {@code account-key} (with a body), {@code account} and
 * {@code store}. The signature is a well-formed OpenPGP signature packet (taken from snapd's generic model
 * assertion), so snapd decodes these and then refuses them at signature verification, as it must.
 */
public final class FakeAssertions {
    public static final String SIGNATURE = """
            AcLBXAQAAQoABgUCWYuXiAAKCRAdLQyY+/mCiST0D/0XGQauzV2bbTEy6DkrR1jlNbI6x8vfIdS8
            KvEWYvzOWNhNlVSfwNOkFjs3uMHgCO6/fCg03wGXTyV9D7ZgrMeUzWrYp6EmXk8/LQSaBnff86XO
            4/vYyfyvEYavhF0kQ6QGg8Cqr0EaMyw0x9/zWEO/Ll9fH/8nv9qcQq8N4AbebNvNxtGsCmJuXpSe
            2rxl3Dw8XarYBmqgcBQhXxRNpa6/AgaTNBpPOTqgNA8ZtmbZwYLuaFjpZP410aJSs+evSKepy/ce
            +zTA7RB3384YQVeZDdTudX2fGtuCnBZBAJ+NYlk0t8VFXxyOhyMSXeylSpNSx4pCqmUZRyaf5SDS
            g1XxJet4IP0stZH1SfPOwc9oE81/bJlKsb9QIQKQRewvtUCLfe9a6Vy/CYd2elvcWOmeANVrJK0m
            nRaz6VBm09RJTuwUT6vNugXSOCeF7W3WN1RHJuex0zw+nP3eCehxFSr33YrVniaA7zGfjXvS8tKx
            AINNQB4g2fpfet4na6lPPMYM41WHIHPCMTz/fJQ6dZBSEg6UUZ/GiQhGEfWPBteK7yd9pQ8qB3fj
            ER4UvKnR7hcVI26e3NGNkXP5kp0SFCkV5NQs8rzXzokpB7p/V5Pnqp3Km6wu45cU6UiTZFhR2IMT
            l+6AMtrS4gDGHktOhwfmOMWqmhvR/INF+TjaWbsB6g==""";
    private static final String ROOT_KEY = "-CvQKAwRQ5h3Ffn10FILJoEZUXOv6km9FwA80-Rcj-f-6jadQ89VRswHNiEB9Lxk";
    /** An OpenPGP RSA public key packet in snapd's encoding (random modulus), and its sha3-384 key id. */
    private static final String STORE_PUBLIC_KEY = """
            AcbBTQRWhcGAARAA04JZpZKfLypc4vK1oW6rB0GPFB/I7amyqMPNWx1sOIFNSVXFjhvW8OYpTKwQ
            fOw2i43PPPgYuvk0FizamWOAwn+MkONOnczr5TxF3fQWRBuwa1MyxD3dtAtmloiotoWorThzufhA
            /aQ8/mUc6ejXf/eTIaJuwQVzZLk98+rGM/NGmEKV0ZxSmcF+dQWvP3Rp9u3D7Fz0XHxm35IgCmKJ
            FKWVsydAZpXdQuoXH4AVTEpQ8v83gZoQp2ojFwGsDAsYeg7VHE1ZsZmGeatvAzFyKrdS4Lx9JhGk
            8+f3CL60Ua6pCg87kJN5ZxPo3IGaYrJ8amYWBVTDLHsjDqvZyh3vgTR6DNf2ha4dbzcUgaz9XXRi
            nHNNMnuWof4mEiDAGeVntJuho6/ZN+IKu2LC+GQuQMcXyq5pB+caqZwRmS/+Wrpi7+bD5/xLTdxO
            6g4V9j3uf76hsio/TlWWwoW/L0mGQuKMzGaRJ9Dpvuie2Ib0ZwDsTdhKkiHH9OvCENy/aZxDCv0u
            L3RRZjqlSxa3cC5j8Rdp4KnvWq99gcNVVtgV7i4i2TbpvMSluloYsY4Fk1WU28TGvgCG+m3t5lCR
            ikx+3JfZx7RlvaIgoyOZo1cxTjD2xqKt9gnB3f8FC14kiNQ//gnwa70Le02ZAREuysNHVRCOfQK3
            ypATrb82Sw7+JV8AEQEAAQ==""";
    private static final String STORE_KEY = "yI4VUqh3BNhaUprWO4HhZv8yXooL9XmWUgQYGWqAYwnn6ZxW-GQ7Cw7O9s7hxWbM";

    private FakeAssertions() {
    }

    /** The stream a proxy with this store id and URL serves. */
    public static String streamFor(String storeId, String storeUrl) {
        return accountKey(storeId) + "\n" + account(storeId) + "\n" + store(storeId, storeUrl);
    }

    public static String store(String storeId, String storeUrl) {
        return signed("""
                type: store
                authority-id: canonical
                store: %s
                operator-id: %s
                url: %s
                timestamp: 2026-11-01T00:00:00.0Z
                sign-key-sha3-384: %s
                """.formatted(storeId, storeId + "-operator", storeUrl, STORE_KEY), "");
    }

    static String account(String storeId) {
        return signed("""
                type: account
                authority-id: canonical
                account-id: %s
                display-name: %s operator
                timestamp: 2026-11-01T00:00:00.0Z
                username: %s
                validation: unproven
                sign-key-sha3-384: %s
                """.formatted(storeId + "-operator", storeId, storeId + "-operator", ROOT_KEY), "");
    }

    static String accountKey(String storeId) {
        String publicKey = STORE_PUBLIC_KEY;
        return signed("""
                type: account-key
                authority-id: canonical
                public-key-sha3-384: %s
                account-id: %s
                name: store
                since: 2026-11-01T00:00:00.0Z
                body-length: %d
                sign-key-sha3-384: %s
                """.formatted(STORE_KEY, storeId + "-operator", publicKey.length(), ROOT_KEY), publicKey);
    }

    private static String signed(String headers, String body) {
        return headers + "\n" + (body.isEmpty() ? "" : body + "\n\n") + SIGNATURE + "\n";
    }
}
