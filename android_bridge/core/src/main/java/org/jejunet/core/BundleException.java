package org.jejunet.core;

/** A bundle or graph the runtime refuses: the message says what and why, in one line. */
public class BundleException extends Exception {
    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
