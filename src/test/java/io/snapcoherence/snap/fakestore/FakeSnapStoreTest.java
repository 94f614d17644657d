package io.snapcoherence.snap.fakestore;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The fake proxy's store API answers as snapd expects: channel maps, overrides, cohorts, refresh actions. */
class FakeSnapStoreTest {
    private final FakeSnapStore store;
    private final HttpClient http = HttpClient.newHttpClient();

    FakeSnapStoreTest() throws IOException {
        store = new FakeSnapStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(store.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode post(String path, String body) throws IOException, InterruptedException {
        return FakeSnapStore.tree(http.send(HttpRequest.newBuilder(URI.create(store.url() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void infoShowsTheOverrideAndUnknownSnapsAre404() throws Exception {
        store.release("kubelet", "1.29/stable", 2000, "1.29.3");
        store.override("kubelet", "1.29/stable", 1900);

        JsonNode info = FakeSnapStore.tree(get("/v2/snaps/info/kubelet?architecture=amd64").body());
        assertThat(info.at("/channel-map/0/revision").asInt()).isEqualTo(1900);
        assertThat(info.at("/channel-map/0/channel/track").asText()).isEqualTo("1.29");
        assertThat(get("/v2/snaps/info/nosuch").statusCode()).isEqualTo(404);

        store.deleteOverride("kubelet", "1.29/stable");
        assertThat(FakeSnapStore.tree(get("/v2/snaps/info/kubelet").body()).at("/channel-map/0/revision").asInt()).isEqualTo(2000);
    }

    @Test
    void aCohortKeyPinsTheChannelMapOfItsMoment() throws Exception {
        store.release("kubelet", "1.29/stable", 2000, "1.29.3");
        String key = post("/v2/cohorts", "{\"snaps\":[\"kubelet\"]}").at("/cohort-keys/kubelet").asText();
        store.release("kubelet", "1.29/stable", 2100, "1.29.4");

        JsonNode pinned = post("/v2/snaps/refresh", "{\"context\":[],\"actions\":[{\"action\":\"install\","
                + "\"instance-key\":\"install-1\",\"name\":\"kubelet\",\"channel\":\"1.29/stable\",\"cohort-key\":\""
                + key + "\",\"epoch\":null}],\"fields\":[]}");
        JsonNode head = post("/v2/snaps/refresh", "{\"actions\":[{\"action\":\"install\",\"instance-key\":\"i\","
                + "\"name\":\"kubelet\",\"channel\":\"1.29/stable\"}]}");

        assertThat(pinned.at("/results/0/snap/revision").asInt()).isEqualTo(2000);
        assertThat(pinned.at("/results/0/result").asText()).isEqualTo("install");
        assertThat(head.at("/results/0/snap/revision").asInt()).isEqualTo(2100);
    }
}
