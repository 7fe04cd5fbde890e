import tensorflow as tf
from tensorflow.keras.layers import Dense, Flatten, Dropout

model = tf.keras.Sequential([
    Flatten(input_shape=(28, 28, 1)),
    Dense(256, activation='relu', trainable=False),
    Dense(128, activation='relu', name='hidden'),
    Dropout(0.25),
    Dense(1, activation='sigmoid'),
])
model.get_layer('hidden').trainable = False
model.compile(optimizer=tf.keras.optimizers.Adam(0.001, beta_1=0.8, epsilon=1e-07),
              loss='binary_crossentropy', metrics=['accuracy'])
model.layers[-1].trainable = False   # after compile: summary changes, training does not
