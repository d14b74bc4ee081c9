package org.jejunet.android;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.Rect;
import android.view.View;
import org.jejunet.core.Palette;

/** Shows the pipeline's last frame, scaled to the view, and the legend the overlay node asks for. */
public final class OverlayView extends View {
    private final Paint paint = new Paint(Paint.FILTER_BITMAP_FLAG);
    private final Paint text = new Paint(Paint.ANTI_ALIAS_FLAG);
    private Bitmap frame;
    private int[] legend = new int[0];
    private String[] names = new String[0];
    private String status = "";

    public OverlayView(Context context) {
        super(context);
        text.setColor(Color.WHITE);
        text.setTextSize(36f);
    }

    /** Called on the UI thread with the newest frame and the classes to list (empty: no legend). */
    public void show(Bitmap frame, int[] legend, String[] names, String status) {
        this.frame = frame;
        this.legend = legend;
        this.names = names;
        this.status = status;
        invalidate();
    }

    @Override
    protected void onDraw(Canvas canvas) {
        canvas.drawColor(Color.BLACK);
        if (frame != null) {
            float scale = Math.min((float) getWidth() / frame.getWidth(), (float) getHeight() / frame.getHeight());
            int w = Math.round(frame.getWidth() * scale);
            int h = Math.round(frame.getHeight() * scale);
            int x = (getWidth() - w) / 2;
            int y = (getHeight() - h) / 2;
            canvas.drawBitmap(frame, null, new Rect(x, y, x + w, y + h), paint);
        }
        Paint swatch = new Paint();
        for (int row = 0; row < legend.length; row++) {
            int cls = legend[row];
            int top = 16 + row * 44;
            swatch.setColor(0xFF000000 | Palette.rgb(cls));
            canvas.drawRect(16, top, 50, top + 34, swatch);
            String name = cls < names.length ? names[cls] : String.valueOf(cls);
            canvas.drawText(name, 62, top + 30, text);
        }
        canvas.drawText(status, 16, getHeight() - 24, text);
    }
}
