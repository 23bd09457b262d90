package dev.medic.recovery;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * A response of an API an action called (the Docker Engine, the Kubernetes API server): its
 * status and the start of its body. The rest of a body beyond {@link #MAX_BODY} is read and
 * dropped, so an API that answers with a large object (Kubernetes returns the whole Deployment)
 * costs no more memory than an error.
 */
record HttpReply(int status, Buffer body) {

  static final int MAX_BODY = 64 * 1024;

  static Future<HttpReply> read(HttpClientResponse response) {
    Buffer kept = Buffer.buffer();
    response.handler(chunk -> {
      int room = MAX_BODY - kept.length();
      if (room > 0) {
        kept.appendBuffer(chunk, 0, Math.min(room, chunk.length()));
      }
    });
    return response.end().map(v -> new HttpReply(response.statusCode(), kept));
  }

  boolean is2xx() {
    return status >= 200 && status <= 299;
  }

  /** {@code 500 Cannot restart container web: ...}: the status and what the API said about it. */
  String statusAndMessage() {
    String message = RemoteText.apiMessage(body);
    return message.isEmpty() ? String.valueOf(status) : status + " " + message;
  }
}
