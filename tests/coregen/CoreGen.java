// A generator of SuperTokens-core-format keys and tokens, written for authstate's tests with the JDK only
// (javax.crypto, java.security, java.util.Base64: no SuperTokens code, no library). The parameters are
// the core's, as read from its sources (supertokens-core, Apache-2.0; see docs/design.md section 12):
//
//   refresh_token_key   "1000:<hex salt>:<hex PBKDF2WithHmacSHA512(hex(random 64 bytes), salt, 1000, 512)>"
//                       (io/supertokens/utils/Utils.java generateNewSigningKey)
//   signing key value   "<base64 X.509 SubjectPublicKeyInfo>|<base64 PKCS#8>" of an RSA-2048 pair (PubPriKey)
//   V2 refresh token    base64(IV || AES-256-GCM(payload) || tag) "." nonce "." "V2", where the AES key is
//                       PBKDF2WithHmacSHA512(the whole key string, salt = the 12-byte IV, 100, 256), the
//                       nonce is sha256hex(a random UUID), and the payload is Gson's JSON of
//                       {sessionHandle, userId, parentRefreshTokenHash1, nonce, antiCsrfToken, tenantId},
//                       nulls dropped, tenantId null for "public" (refreshToken/RefreshToken.java, Utils.encrypt)
//   access token v3-v5  RS256 JWT, header {alg, typ, kid, version}, claims sub, exp, iat (s), [tId], [rsub],
//                       sessionHandle, refreshTokenHash1, parentRefreshTokenHash1, antiCsrfToken (both may be
//                       null), custom claims at the root (accessToken/AccessToken.java toJSON)
//
// It runs as a server for the tests: one request per line on stdin, one answer per line on stdout.
// A request is the operation's name, then its arguments, separated by tabs; each argument is the base64
// of its UTF-8 text, or "~" for null. An answer is "ok" and the base64 of each result, or "err" and the
// base64 of a message.
//
//   refresh-key                                                  -> key string
//   rsa-key                                                      -> "pub|priv"
//   seal KEY HANDLE USER PARENT_HASH1|~ ANTI_CSRF|~ TENANT       -> V2 refresh token
//   open KEY TOKEN                                               -> the payload's JSON (the core's checks)
//   sha256 TEXT                                                  -> lower-case hex
//   access-token VERSION KID KEYPAIR SUB RSUB TENANT HANDLE RTH1 PRTH1|~ ANTI_CSRF|~ IAT EXP CUSTOM_JSON
//                                                                -> JWT
//   sign KEYPAIR TEXT                                            -> base64url SHA256withRSA signature

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

public final class CoreGen {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            String[] fields = line.split("\t", -1);
            List<String> arguments = new ArrayList<>();
            for (int i = 1; i < fields.length; i++) {
                arguments.add(fields[i].equals("~") ? null : text(Base64.getDecoder().decode(fields[i])));
            }
            try {
                List<String> results = run(fields[0], arguments);
                StringBuilder answer = new StringBuilder("ok");
                for (String result : results) {
                    answer.append('\t').append(Base64.getEncoder().encodeToString(bytes(result)));
                }
                out.println(answer);
            } catch (Exception e) {
                String message = e.getClass().getSimpleName() + ": " + e.getMessage();
                out.println("err\t" + Base64.getEncoder().encodeToString(bytes(message)));
            }
        }
    }

    private static List<String> run(String operation, List<String> a) throws Exception {
        switch (operation) {
            case "refresh-key":
                return List.of(newRefreshTokenKey());
            case "rsa-key":
                return List.of(newKeyPair());
            case "seal":
                return List.of(seal(a.get(0), a.get(1), a.get(2), a.get(3), a.get(4), a.get(5)));
            case "open":
                return List.of(open(a.get(0), a.get(1)));
            case "sha256":
                return List.of(sha256(a.get(0)));
            case "access-token":
                return List.of(accessToken(a));
            case "sign":
                return List.of(Base64.getUrlEncoder().withoutPadding().encodeToString(sign(a.get(0), a.get(1))));
            default:
                throw new IllegalArgumentException("unknown operation " + operation);
        }
    }

    // -- keys ---------------------------------------------------------------------------------------------

    static String newRefreshTokenKey() throws Exception {
        byte[] random = new byte[64];
        byte[] salt = new byte[64];
        RANDOM.nextBytes(random);
        RANDOM.nextBytes(salt);
        int iterations = 1000;
        return iterations + ":" + hex(salt) + ":" + hex(pbkdf2(hex(random).toCharArray(), salt, iterations, 512));
    }

    static String newKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        Base64.Encoder encoder = Base64.getEncoder();
        return encoder.encodeToString(pair.getPublic().getEncoded()) + "|"
                + encoder.encodeToString(pair.getPrivate().getEncoded());
    }

    static byte[] pbkdf2(char[] password, byte[] salt, int iterations, int bits) throws Exception {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bits);
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
    }

    // -- refresh tokens -----------------------------------------------------------------------------------

    static String seal(String key, String handle, String userId, String parentHash1, String antiCsrf,
                       String tenantId) throws Exception {
        String nonce = sha256(UUID.randomUUID().toString());
        Map<String, String> payload = new LinkedHashMap<>();
        payload.put("sessionHandle", handle);
        payload.put("userId", userId);
        payload.put("parentRefreshTokenHash1", parentHash1);
        payload.put("nonce", nonce);
        payload.put("antiCsrfToken", antiCsrf);
        payload.put("tenantId", tenantId == null || tenantId.equals("public") ? null : tenantId);
        return encrypt(gsonObject(payload), key) + "." + nonce + ".V2";
    }

    static String encrypt(String plaintext, String key) throws Exception {
        byte[] iv = new byte[12];
        RANDOM.nextBytes(iv);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(pbkdf2(key.toCharArray(), iv, 100, 256), "AES"),
                new GCMParameterSpec(128, iv));
        byte[] sealed = cipher.doFinal(bytes(plaintext));
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(12 + sealed.length).put(iv).put(sealed).array());
    }

    /** The core's reading of a refresh token: three parts, a known type, decrypts, nonce and ids present. */
    static String open(String key, String token) throws Exception {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            throw new IllegalArgumentException("Refresh token split with dot yielded an array of length: " + parts.length);
        }
        if (!parts[2].equalsIgnoreCase("V1") && !parts[2].equalsIgnoreCase("V2")) {
            throw new IllegalArgumentException("version of refresh token not recognised");
        }
        ByteBuffer buffer = ByteBuffer.wrap(Base64.getDecoder().decode(parts[0]));
        byte[] iv = new byte[12];
        buffer.get(iv);
        byte[] sealed = new byte[buffer.remaining()];
        buffer.get(sealed);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(pbkdf2(key.toCharArray(), iv, 100, 256), "AES"),
                new GCMParameterSpec(128, iv));
        String json = text(cipher.doFinal(sealed));
        Map<String, String> payload = parseFlatObject(json);
        if (payload.get("userId") == null || payload.get("sessionHandle") == null
                || !parts[1].equals(payload.get("nonce"))) {
            throw new IllegalArgumentException("Invalid refresh token");
        }
        return json;
    }

    // -- access tokens ------------------------------------------------------------------------------------

    static String accessToken(List<String> a) throws Exception {
        int version = Integer.parseInt(a.get(0));
        String kid = a.get(1);
        String keyPair = a.get(2);
        StringBuilder header = new StringBuilder("{");
        header.append(member("alg", "RS256")).append(',').append(member("typ", "JWT")).append(',')
                .append(member("kid", kid)).append(',').append(member("version", Integer.toString(version)))
                .append('}');
        StringBuilder claims = new StringBuilder("{");
        claims.append(member("sub", a.get(3))).append(',');
        claims.append("\"exp\":").append(Long.parseLong(a.get(11))).append(',');
        claims.append("\"iat\":").append(Long.parseLong(a.get(10))).append(',');
        if (version >= 4) {
            claims.append(member("tId", a.get(5))).append(',');
        }
        if (version >= 5) {
            claims.append(member("rsub", a.get(4))).append(',');
        }
        claims.append(member("sessionHandle", a.get(6))).append(',');
        claims.append(member("refreshTokenHash1", a.get(7))).append(',');
        claims.append(member("parentRefreshTokenHash1", a.get(8))).append(',');
        claims.append(member("antiCsrfToken", a.get(9)));
        String custom = a.get(12).trim();
        if (!custom.startsWith("{") || !custom.endsWith("}")) {
            throw new IllegalArgumentException("custom claims must be a JSON object");
        }
        String members = custom.substring(1, custom.length() - 1).trim();
        if (!members.isEmpty()) {
            claims.append(',').append(members);
        }
        claims.append('}');
        Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
        String input = url.encodeToString(bytes(header.toString())) + "." + url.encodeToString(bytes(claims.toString()));
        return input + "." + url.encodeToString(sign(keyPair, input));
    }

    static byte[] sign(String keyPair, String input) throws Exception {
        String[] halves = keyPair.split("[|;]");
        PrivateKey key = KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(halves[1])));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update(bytes(input));
        return signature.sign();
    }

    // -- JSON as Gson writes it (HTML-safe escaping, nulls dropped from objects) ---------------------------

    static String gsonObject(Map<String, String> members) {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, String> entry : members.entrySet()) {
            if (entry.getValue() == null) {
                continue;
            }
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(member(entry.getKey(), entry.getValue()));
        }
        return json.append('}').toString();
    }

    static String member(String name, String value) {
        return quote(name) + ":" + (value == null ? "null" : quote(value));
    }

    static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\f': out.append("\\f"); break;
                case '<': case '>': case '&': case '=': case '\'': case '\u2028': case '\u2029':
                    out.append(String.format("\\u%04x", (int) c));
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }

    /** A JSON object whose values are strings (what a refresh token's payload is). */
    static Map<String, String> parseFlatObject(String json) {
        Map<String, String> result = new LinkedHashMap<>();
        int[] at = {skip(json, 0)};
        expect(json, at, '{');
        if (peek(json, at) == '}') {
            return result;
        }
        while (true) {
            String name = string(json, at);
            expect(json, at, ':');
            result.put(name, peek(json, at) == 'n' ? literalNull(json, at) : string(json, at));
            if (peek(json, at) == ',') {
                at[0]++;
                continue;
            }
            expect(json, at, '}');
            return result;
        }
    }

    private static char peek(String json, int[] at) {
        at[0] = skip(json, at[0]);
        return json.charAt(at[0]);
    }

    private static void expect(String json, int[] at, char c) {
        if (peek(json, at) != c) {
            throw new IllegalArgumentException("not the JSON expected");
        }
        at[0]++;
    }

    private static String literalNull(String json, int[] at) {
        if (!json.startsWith("null", at[0])) {
            throw new IllegalArgumentException("not the JSON expected");
        }
        at[0] += 4;
        return null;
    }

    private static String string(String json, int[] at) {
        expect(json, at, '"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = json.charAt(at[0]++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = json.charAt(at[0]++);
            switch (e) {
                case 'u': out.append((char) Integer.parseInt(json.substring(at[0], at[0] + 4), 16)); at[0] += 4; break;
                case 'n': out.append('\n'); break;
                case 't': out.append('\t'); break;
                case 'r': out.append('\r'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                default: out.append(e);
            }
        }
    }

    private static int skip(String json, int at) {
        while (at < json.length() && Character.isWhitespace(json.charAt(at))) {
            at++;
        }
        return at;
    }

    // -- small helpers ------------------------------------------------------------------------------------

    static String sha256(String text) throws Exception {
        return hex(MessageDigest.getInstance("SHA-256").digest(bytes(text)));
    }

    static String hex(byte[] data) {
        String digits = new BigInteger(1, data).toString(16);
        StringBuilder padded = new StringBuilder();
        for (int i = digits.length(); i < data.length * 2; i++) {
            padded.append('0');
        }
        return padded.append(digits).toString();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }
}
