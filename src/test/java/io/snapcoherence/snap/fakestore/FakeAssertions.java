package io.snapcoherence.snap.fakestore;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

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
    private static final String STORE_KEY = "BWDEoaqyr25nF5SNCvEv2v7QnM9QsfCc0PBMYD_i2NGSQ32EF2d4D0hqUel3m8ul";

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
        String publicKey = "AcbBTQRWhcGAARAAt" + Base64.getEncoder().encodeToString(
                ("public key of " + storeId).getBytes(StandardCharsets.UTF_8));
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
