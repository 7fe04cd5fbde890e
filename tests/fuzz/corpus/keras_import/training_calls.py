# Written for dropscope's tests: training= on layer calls, as a student tries Monte Carlo
# dropout on a small CNN. The BatchNormalization is called with training=False (it trains
# its gamma and beta but normalises with its moving statistics, which never move); the
# first Dropout with training=True (it masks at predict too, so predictions vary from call
# to call); the second with training=False (never active, not even in fit).
# Keras's counts: conv 3*3*1*16+16 = 160; BN 4*16 = 64 (32 moving statistics
# non-trainable); dense 16*32+32 = 544; dense_1 33: total 801, trainable 769, non-trainable 32.
import tensorflow as tf
from tensorflow.keras import layers

inputs = tf.keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(16, 3, activation='relu')(inputs)
x = layers.BatchNormalization()(x, training=False)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(32, activation='relu')(x)
x = layers.Dropout(0.3)(x, training=True)
x = layers.Dropout(0.5)(x, training=False)
outputs = layers.Dense(1, activation='sigmoid')(x)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.summary()
