# A small two-branch convolutional net (functional API), three classes, SGD with momentum.
from tensorflow.keras import layers, Model, Input
from tensorflow.keras.optimizers import SGD

image = Input(shape=(28, 28, 1), name='image')
small = layers.Conv2D(8, 3, padding='same', activation='relu')(image)
large = layers.Conv2D(8, (5, 5), padding='same', name='large')(image)
large = layers.BatchNormalization()(large)
large = layers.Activation('relu')(large)
both = layers.concatenate([small, large])
x = layers.MaxPooling2D()(both)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.3)(x)
out = layers.Dense(3, activation='softmax')(x)
model = Model(inputs=image, outputs=out)
model.layers[1].trainable = False   # Keras orders model.layers by depth: [1] is "large"
model.compile(SGD(0.01, momentum=0.9, nesterov=True),
              'sparse_categorical_crossentropy', ['acc'])
